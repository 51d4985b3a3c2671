#!/usr/bin/python3
"""gw-soap-calc.py: a SOAP 1.1 calculator service for the end-to-end tests,
built with spyne (Debian's python3-spyne).

    gw-soap-calc.py PORTFILE

Listens on 127.0.0.1, a free port, written to PORTFILE once bound (by a
rename, so that a reader never sees it half written).  The service
(namespace http://tempuri.org/, document/literal, WSDL at /?wsdl):

    Add(intA, intB) -> AddResult
    Divide(a, b) -> DivideResult; b = 0: a Client.DivideByZero fault
    Range(n) -> RangeResult, the integers 0 .. n-1
    Sleep(ms) -> SleepResult, after ms milliseconds
    Crash() -> a Server fault
"""
import os
import sys
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from spyne import Application, Fault, Integer, Iterable, ServiceBase, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication


class Calculator(ServiceBase):
    @rpc(Integer, Integer, _returns=Integer)
    def Add(ctx, intA, intB):
        return intA + intB

    @rpc(Integer, Integer, _returns=Integer)
    def Divide(ctx, a, b):
        if b == 0:
            raise Fault(faultcode='Client.DivideByZero',
                        faultstring='division by zero')
        return a // b

    @rpc(Integer, _returns=Iterable(Integer))
    def Range(ctx, n):
        return list(range(n))

    @rpc(Integer, _returns=Integer)
    def Sleep(ctx, ms):
        time.sleep(ms / 1000.0)
        return ms

    @rpc(_returns=Integer)
    def Crash(ctx):
        raise Exception('the database is down')


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.command, self.path))


def main():
    app = Application([Calculator], tns='http://tempuri.org/',
                      name='Calculator',
                      in_protocol=Soap11(validator='lxml'),
                      out_protocol=Soap11())
    srv = make_server('127.0.0.1', 0, WsgiApplication(app),
                      handler_class=QuietHandler)
    with open(sys.argv[1] + '.tmp', 'w') as f:
        f.write('%d\n' % srv.server_port)
    os.rename(sys.argv[1] + '.tmp', sys.argv[1])
    srv.serve_forever()


if __name__ == '__main__':
    main()
