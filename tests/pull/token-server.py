#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Docker token service for a test registry (bearer-token auth).

    token-server.py DIR PORT USER:PASSWORD

Answers GET /token?service=S&scope=repository:NAME:ACTIONS with a JWT
(RS256, signed by DIR/token-key.pem, its certificate DIR/token-cert.pem in
the x5c header, which the registry trusts as rootcertbundle).  Repositories
under public/ are open to anyone for pull; everything else needs the basic
credentials.  Wrong credentials get 401.  Each request's scope is appended
to DIR/token.log, so tests can see what was asked.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

DIR, PORT, CREDS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ISSUER = "hako-test-issuer"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der():
    pem = open(os.path.join(DIR, "token-cert.pem")).read()
    body = "".join(l for l in pem.splitlines() if "-----" not in l)
    return body  # standard base64 of the DER, as x5c wants


def sign(payload):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [cert_der()]}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(DIR, "token-key.pem")],
                         input=signing_input.encode(), stdout=subprocess.PIPE, check=True).stdout
    return signing_input + "." + b64(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        q = urllib.parse.parse_qs(url.query)
        service = q.get("service", [""])[0]
        scopes = q.get("scope", [])
        with open(os.path.join(DIR, "token.log"), "a") as f:
            f.write(" ".join(scopes) + "\n")
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != CREDS:
                self.send_response(401)
                self.end_headers()
                self.wfile.write(b'{"details":"wrong credentials"}')
                return
            user = CREDS.split(":")[0]
        access = []
        for sc in scopes:
            typ, name, actions = sc.split(":")
            if user or (name.startswith("public/") and actions == "pull"):
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        tok = sign({"iss": ISSUER, "sub": user or "", "aud": service, "exp": now + 300, "nbf": now - 10,
                    "iat": now, "jti": "%d-%d" % (now, os.getpid()), "access": access})
        body = json.dumps({"token": tok, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
