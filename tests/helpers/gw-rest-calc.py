#!/usr/bin/python3
"""gw-rest-calc.py: a JSON REST calculator for the end-to-end tests, the
upstream behind gw-serve's SOAP face (Python's standard library only).

    gw-rest-calc.py PORTFILE SEENFILE

Listens on 127.0.0.1, a free port written to PORTFILE; appends each
request to SEENFILE as one JSON line: method, path, the Content-Type and
SOAPAction fields, and the body.  POST /calc takes one operation:

    {"Add": {"intA": 2, "intB": 3}}     -> {"AddResponse": {"AddResult": 5}}
    {"Divide": {"a": 7, "b": 2}}        -> {"DivideResponse": {"DivideResult": 3}}
    operands that are not integers      -> 422, a problem document
    {"Divide": {"a": 1, "b": 0}}        -> 500, text/plain
    {"Sleep": {"ms": 500}}              -> the answer after ms milliseconds
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEEN = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, ctype, body):
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def problem(self, status, title, detail):
        self.answer(status, 'application/problem+json', json.dumps({
            'type': 'https://calc.example/problems/bad-operands',
            'title': title, 'status': status, 'detail': detail}))

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace')
        with open(SEEN, 'a') as f:
            f.write(json.dumps({
                'method': self.command, 'path': self.path,
                'content_type': self.headers.get('Content-Type'),
                'soapaction': self.headers.get('SOAPAction'),
                'body': body}) + '\n')
        if self.path != '/calc':
            self.problem(404, 'Not Found', 'no such resource')
            return
        try:
            req = json.loads(body)
            (op, args), = req.items()
        except (ValueError, AttributeError):
            self.problem(400, 'Bad Request', 'not one operation in JSON')
            return
        if not isinstance(args, dict) or not all(
                isinstance(v, int) for v in args.values()):
            self.problem(422, 'Unprocessable Content',
                         'the operands must be integers')
            return
        if op == 'Add':
            res = {'AddResponse': {'AddResult':
                                   args.get('intA', 0) + args.get('intB', 0)}}
        elif op == 'Divide':
            if args.get('b', 0) == 0:
                self.answer(500, 'text/plain', 'division failed\n')
                return
            res = {'DivideResponse': {'DivideResult':
                                      args.get('a', 0) // args['b']}}
        elif op == 'Sleep':
            time.sleep(args.get('ms', 0) / 1000.0)
            res = {'SleepResponse': {'SleepResult': args.get('ms', 0)}}
        else:
            self.problem(404, 'Not Found', 'no operation %s' % op)
            return
        self.answer(200, 'application/json', json.dumps(res))


def main():
    global SEEN
    SEEN = sys.argv[2]
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    with open(sys.argv[1] + '.tmp', 'w') as f:
        f.write('%d\n' % srv.server_port)
    os.rename(sys.argv[1] + '.tmp', sys.argv[1])
    srv.serve_forever()


if __name__ == '__main__':
    main()
