#!/usr/bin/env python3
"""An independent Modbus TCP peer for the PLC tests (started by the tests on 127.0.0.1, stopped after).

Modes:
  plc      a pymodbus server (SimDevice, shared register block) acting as a filling-line PLC: the bottle counter
           advances every --tick-ms from --counter-start (counting from the first request) (16 or 32 bits, word order ABCD or CDAB), the heartbeat
           every 100 ms, and rejectCommand (holding 103) is echoed into rejectAck (6). Unit id --unit only.
  garbage  a plain TCP socket server that answers every request with junk bytes.
  silent   a plain TCP socket server that accepts and never answers.
  partial  a plain TCP socket server that sends the first bytes of a valid answer, then stalls (byte timeout).

Register layout (0-based, one shared block as pymodbus' SimDevice serves it; FC3 and FC4 see the same registers):
  0-1 bottleCounter (--bits 32) or 0 (--bits 16), 2 lineState, 3 recipe, 4 plcHeartbeat, 5 rejectConfirmCounter,
  6 rejectAck, 100-101 rejectSequence, 102 rejectReason, 103 rejectCommand, 104 agentHeartbeat, 105 agentStatus,
  106 agentAlarm, 107-108 goodCounter, 109-110 rejectCounter; register 200 holds the coils (lineStopRequest = coil 200).
Prints "READY <port>" on stdout once listening.
"""
import argparse
import asyncio
import signal
import socket
import sys
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["plc", "garbage", "silent", "partial"], default="plc")
    p.add_argument("--unit", type=int, default=1)
    p.add_argument("--bits", type=int, choices=[16, 32], default=32)
    p.add_argument("--word-order", choices=["ABCD", "CDAB"], default="ABCD")
    p.add_argument("--counter-start", type=int, default=0)
    p.add_argument("--tick-ms", type=float, default=0, help="0: the counter does not move")
    p.add_argument("--recipe", type=int, default=1)
    p.add_argument("--line-state", type=int, default=1)
    return p.parse_args()


async def raw_server(args):
    async def handle(reader, writer):
        try:
            while True:
                data = await reader.read(260)
                if not data:
                    break
                if args.mode == "garbage":
                    writer.write(b"\x13\x37garbage, not modbus\xff\xfe\x00")
                    await writer.drain()
                elif args.mode == "partial" and len(data) >= 7:
                    # The MBAP header of the right transaction, announcing more bytes than ever come.
                    writer.write(data[0:4] + b"\x00\x11" + data[6:7])
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", args.port, reuse_address=True)
    print(f"READY {args.port}", flush=True)
    async with server:
        await server.serve_forever()


async def plc_server(args):
    import logging

    from pymodbus import pymodbus_apply_logging_config
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    pymodbus_apply_logging_config(logging.CRITICAL)
    # The line starts with the first request, so a slow start-up on a busy machine does not move the counter.
    clock = {"start": None}
    mask = (1 << args.bits) - 1

    def elapsed():
        if clock["start"] is None:
            clock["start"] = time.monotonic()
        return time.monotonic() - clock["start"]

    def counter_now():
        if args.tick_ms <= 0:
            return args.counter_start & mask
        return (args.counter_start + int(elapsed() * 1000 / args.tick_ms)) & mask

    def put_counter(regs, offset, value):
        if args.bits == 16:
            regs[offset] = value & 0xFFFF
            return
        high, low = (value >> 16) & 0xFFFF, value & 0xFFFF
        regs[offset], regs[offset + 1] = (high, low) if args.word_order == "ABCD" else (low, high)

    async def action(function_code, start_address, address, count, current_registers, set_values):
        # Bring the inputs up to date on every request (a PLC scan, done lazily).
        def at(a):
            return a - start_address
        if 0 <= at(0) and at(6) < len(current_registers):
            put_counter(current_registers, at(0), counter_now())
            current_registers[at(2)] = args.line_state
            current_registers[at(3)] = args.recipe
            current_registers[at(4)] = int(elapsed() * 10) & 0xFFFF
        # Echo the reject handshake: a write that covers rejectCommand (103).
        if set_values is not None and function_code in (6, 16) and address <= 103 < address + len(set_values):
            if 0 <= at(6) < len(current_registers):
                current_registers[at(6)] = int(set_values[103 - address]) & 0xFFFF
        return None

    device = SimDevice(
        id=args.unit,
        simdata=[
            SimData(0, count=120, values=0, datatype=DataType.REGISTERS),
            SimData(200, values=0, datatype=DataType.BITS),
        ],
        action=action,
    )
    server = ModbusTcpServer(device, address=("127.0.0.1", args.port))
    task = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0.05)
    print(f"READY {args.port}", flush=True)
    await task


def main():
    # The test process may ignore SIGTERM, and an ignored signal is inherited: restore the default.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    args = parse()
    try:
        if args.mode == "plc":
            asyncio.run(plc_server(args))
        else:
            asyncio.run(raw_server(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
