#!/usr/bin/env python3
"""A moto server that serves one request at a time, on 127.0.0.1.

    python3 scripts/moto_serial.py [PORT]        (default 5000)

`moto_server` serves requests on threads, and moto applies a DynamoDB TransactWriteItems
item by item without a lock: two concurrent transactions conditional on the same item can then
both commit (50 concurrent dispensings from a stock of 9 let 10 through). DynamoDB isolates
transactions; moto served one request at a time does too, so run hospital-local (and the
tests, which start this same server) against this one.
"""

import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
run_simple(
    "127.0.0.1",
    port,
    DomainDispatcherApplication(create_backend_app),
    threaded=False,
)
