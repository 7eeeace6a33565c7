"""Sends N HL7 v2 ADT^A04 registrations over MLLP with python-hl7's asyncio client (`hl7.mllp`), spread over C
connections that each wait for every ACK before the next message (HL7's original mode), and prints the
throughput and the ACK latency percentiles. Each message is the sample A04 with its own control id (MSH-10),
visit number (PV1-19) and patient identifier (PID-3), so each is a new arrival. Every ACK is parsed by python-hl7
and its MSA-1 code counted.

usage: python bench/mllp_load.py HOST PORT MESSAGES CONNECTIONS SAMPLE_A04
"""
import asyncio
import sys
import time

import hl7
from hl7.mllp import open_hl7_connection


def messages(template, count):
    for n in range(count):
        yield (template.replace("EPIC-000101", f"LOAD-{n:06d}")
                       .replace("V20261203-0001", f"VLOAD-{n:06d}")
                       .replace("MRN-HL7-0001", f"MRN-LOAD-{n:06d}"))


async def sender(host, port, queue, latencies, codes):
    reader, writer = await open_hl7_connection(host, port)
    try:
        while True:
            try:
                message = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            writer.writeblock(message)
            await writer.drain()
            ack = await reader.readmessage()
            latencies.append(time.perf_counter() - started)
            codes[str(ack.segment("MSA")[1])] = codes.get(str(ack.segment("MSA")[1]), 0) + 1
    finally:
        writer.close()


async def main(host, port, count, connections, sample):
    with open(sample, newline="", encoding="utf-8") as handle:
        template = handle.read().replace("\n", "\r").rstrip("\r")
    queue = asyncio.Queue()
    # Encoded up front, as an integration engine holds them: the client's time goes to the exchange.
    for message in messages(template, count):
        queue.put_nowait(message.encode("utf-8"))
    latencies, codes = [], {}
    started = time.perf_counter()
    await asyncio.gather(*(sender(host, port, queue, latencies, codes) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(f"{len(latencies)} messages over {connections} connections in {elapsed:.1f} s: "
          f"{len(latencies) / elapsed:.0f} messages/s; ACK p50 {percentile(50):.1f} ms, p99 {percentile(99):.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; ACK codes {codes}")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
