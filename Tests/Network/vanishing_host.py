"""A TCP forwarder that listens inside a network namespace and forwards to a server outside it.

Usage: vanishing_host.py NETNS LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT

Clients reach the server through the namespace's link, so setting that link down makes the server's host vanish
for them: no packet in or out, no reset, no FIN, as when a host loses power. The forwarder's own connections to
the server stay open. The listening socket is made inside the namespace (setns applies to the calling thread and
a socket keeps the namespace it was made in); the upstream connections are made from this process's own.
Prints "ready" once it listens.
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter_namespace(descriptor):
    if libc.setns(descriptor, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def pump(source, destination):
    try:
        while data := source.recv(65536):
            destination.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, destination):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    netns, listen_host, listen_port, upstream_host, upstream_port = sys.argv[1:6]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    enter_namespace(os.open(f"/run/netns/{netns}", os.O_RDONLY))
    listener = socket.create_server((listen_host, int(listen_port)))
    enter_namespace(home)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection((upstream_host, int(upstream_port)))
        for source, destination in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(source, destination), daemon=True).start()


if __name__ == "__main__":
    main()
