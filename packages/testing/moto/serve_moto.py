"""moto in server mode, as `moto_server -H <host> -p <port>` runs it, with one difference: DynamoDB
requests are handled one at a time.

DynamoDB applies a conditional write atomically, and Rolecall relies on that (a request's version,
an expiry's claim, an audit intent). moto checks the condition and writes in two steps without a lock,
so two threads of its server can both pass the same condition. Serialising DynamoDB calls gives tests
the guarantee the real service gives; every other API still runs concurrently.

And one change of cost, not of behaviour: moto makes a transaction (TransactWriteItems) undoable by
deep-copying every table it touches before it starts, so one transaction costs time in proportion to
the whole table (5 s for 99 items into a table of 1,000 roles; DynamoDB's cost does not grow with the
table). Here it keeps a copy of just the items the transaction names and puts those back when it is
cancelled: the same all-or-nothing result, which is safe because DynamoDB calls run one at a time.
"""

import copy
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def undo_transactions_item_by_item() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class TablesNotCopied:
        """moto's `copy` inside a transaction: tables are kept as they are (restored item by item)."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for action in transact_items[:100]:
            op = next(iter(action.values()), {})
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Item") or op.get("Key") or {}
            if table is None or table.hash_key_attr not in attrs:
                continue
            if table.range_key_attr is not None and table.range_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        models.copy = TablesNotCopied
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is not None:
                    table.items[hash_key][range_key] = item
                else:
                    table.items[hash_key] = item
            raise
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    undo_transactions_item_by_item()
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
