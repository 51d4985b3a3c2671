#!/usr/bin/python3
"""gw-soap-client.py: a SOAP client for the end-to-end tests, zeep
(Debian's python3-zeep) calling an operation through a gateway.

    gw-soap-client.py WSDL URL 11|12 OPERATION [INTEGER...]

Uses the SOAP 1.1 or 1.2 binding of the WSDL (CalculatorSoap or
CalculatorSoap12 in http://tempuri.org/) at URL, calls OPERATION with the
integers, and prints the result, or "FAULT code: message" for a SOAP
fault (exit 1), or "ERROR ..." for anything else (exit 2).
"""
import sys

import zeep
from zeep.exceptions import Fault


def main():
    wsdl, url, version, op = sys.argv[1:5]
    args = [int(a) for a in sys.argv[5:]]
    client = zeep.Client(wsdl)
    binding = '{http://tempuri.org/}CalculatorSoap' + (
        '12' if version == '12' else '')
    service = client.create_service(binding, url)
    try:
        print(getattr(service, op)(*args))
    except Fault as f:
        print('FAULT %s: %s' % (f.code, f.message))
        return 1
    except Exception as e:
        print('ERROR %s: %s' % (type(e).__name__, e))
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
