"""Sends HL7 v2 files over MLLP with the `hl7` package's client (python-hl7, PyPI), one connection, in order,
and prints each acknowledgement as parsed by the same package: MSA-1, MSA-2, MSA-3 and ERR-2, tab-separated.
With --tls CAFILE the client's connection is wrapped in TLS (Python's ssl), trusting only that CA.
Usage: hl7_send.py [--tls CAFILE] HOST PORT FILE..."""
import ssl
import sys

import hl7
import hl7.client


def field(segment, index):
    return str(segment[index]) if len(segment) > index else ""


def main():
    arguments = sys.argv[1:]
    authority = None
    if arguments[:1] == ["--tls"]:
        authority, arguments = arguments[1], arguments[2:]
    host, port, paths = arguments[0], int(arguments[1]), arguments[2:]
    with hl7.client.MLLPClient(host, port) as client:
        if authority:
            client.socket = ssl.create_default_context(cafile=authority).wrap_socket(client.socket, server_hostname=host)
        for path in paths:
            with open(path, newline="", encoding="utf-8") as file:
                reply = client.send_message(file.read())
            text = reply.decode("utf-8").strip("\x0b\x1c\r\n")
            ack = hl7.parse(text)
            msa = ack.segment("MSA")
            err = [s for s in ack if str(s[0]) == "ERR"]
            print("\t".join([field(msa, 1), field(msa, 2), field(msa, 3), field(err[0], 2) if err else ""]))


if __name__ == "__main__":
    main()
