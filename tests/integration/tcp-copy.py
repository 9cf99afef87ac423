#!/usr/bin/env python3
"""One file over one TCP connection, for the namespace tests.

    tcp-copy.py receive ADDRESS PORT OUTPUT   accept one connection, write what arrives to OUTPUT
    tcp-copy.py send ADDRESS PORT INPUT       connect, send INPUT, close
"""
import socket
import sys


def main(mode, address, port, path):
    if mode == "receive":
        server = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, int(port)))
        server.listen(1)
        connection, _ = server.accept()
        with open(path, "wb") as out:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                out.write(chunk)
    elif mode == "send":
        with socket.create_connection((address, int(port))) as connection, open(path, "rb") as data:
            connection.sendall(data.read())
    else:
        sys.exit(f"tcp-copy: unknown mode: expected receive or send ({mode})")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
