"""moto in server mode, as `moto_server -H <host> -p <port>` runs it, with one difference: DynamoDB
requests are handled one at a time.

DynamoDB applies a conditional write atomically, and Rolecall relies on that (a request's version,
an expiry's claim, an audit intent). moto checks the condition and writes in two steps without a lock,
so two threads of its server can both pass the same condition. Serialising DynamoDB calls gives tests
the guarantee the real service gives; every other API still runs concurrently.
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def serve(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # The whole response is produced inside the lock, not only its first chunk.
                return list(app(environ, start_response))
        return app(environ, start_response)

    run_simple(host, port, serve, threaded=True)


if __name__ == "__main__":
    main()
