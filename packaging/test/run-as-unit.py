#!/usr/bin/env python3
"""Starts installed services the way systemd would start their units, without systemd (scripts/package-test.sh).

For each unit file given, in order: reads [Service] ExecStart, User, Group, SupplementaryGroups, WorkingDirectory,
UMask, Type, NotifyAccess and TimeoutStopSec; creates a unix datagram socket as NOTIFY_SOCKET (with SO_PASSCRED, so
each message's sender pid and uid are known, as NotifyAccess=main checks them); starts ExecStart as the unit's user
and groups with NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (the started process's own pid) in its environment;
then requires READY=1 within --ready-timeout and --pings WATCHDOG=1 after it, each within the watchdog interval
(half of WATCHDOG_USEC, the ping period sd_watchdog_enabled(3) recommends, with --slack). Once every unit is up, it
stops them in reverse order with SIGTERM and requires STOPPING=1 and exit status 0 within TimeoutStopSec.

Any miss fails loudly (exit 1) with what was expected, what arrived, and the service's last output lines.
"""
import argparse
import grp
import os
import pwd
import re
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def fail(message, service=None):
    print(f"run-as-unit: FAIL: {message}", file=sys.stderr)
    if service is not None:
        service.show_output()
    sys.exit(1)


def parse_unit(path):
    """The [Service] settings of a unit file (last assignment wins; an empty one resets, as systemd does)."""
    settings, section = {}, None
    with open(path) as unit:
        for raw in unit:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]" or "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if value == "":
                settings.pop(key, None)
            elif key in ("SupplementaryGroups",):
                settings[key] = settings.get(key, []) + value.split()
            else:
                settings[key] = value
    return settings


def seconds(text):
    """A systemd time span as seconds: 30, 30s, 2min, 500ms, 1min 30s."""
    scale = {"us": 1e-6, "ms": 0.001, "": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(us|ms|min|sec|s|m|h)?", text)
    if not parts:
        fail(f"not a time span: {text}")
    return sum(float(value) * scale[unit] for value, unit in parts)


class Service:
    def __init__(self, unit_path, watchdog_usec, workdir):
        self.unit = os.path.basename(unit_path)
        self.settings = parse_unit(unit_path)
        s = self.settings
        for key, expected in (("Type", "notify"), ("NotifyAccess", "main")):
            if s.get(key) != expected:
                fail(f"{self.unit}: {key}={s.get(key)}, expected {expected}")
        if "ExecStart" not in s or "User" not in s:
            fail(f"{self.unit}: no ExecStart or no User in [Service]")
        self.argv = shlex.split(s["ExecStart"].lstrip("-@:+!"))
        self.user = pwd.getpwnam(s["User"])
        self.group = grp.getgrnam(s.get("Group", s["User"]))
        self.groups = sorted({grp.getgrnam(g).gr_gid for g in s.get("SupplementaryGroups", []) if g} |
                             set(os.getgrouplist(self.user.pw_name, self.group.gr_gid)))
        self.stop_timeout = seconds(s.get("TimeoutStopSec", "90"))
        self.unit_watchdog = seconds(s["WatchdogSec"]) if "WatchdogSec" in s else None
        self.watchdog_usec = watchdog_usec or int((self.unit_watchdog or 0) * 1_000_000)
        if not self.watchdog_usec:
            fail(f"{self.unit}: no WatchdogSec= and no --watchdog-usec")
        self.log_path = os.path.join(workdir, self.unit + ".log")
        self.socket_path = os.path.join(workdir, self.unit + ".notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(self.socket_path)
        os.chmod(self.socket_path, 0o777)  # the service's user must be able to send (systemd's socket is 0777 too)
        self.messages = []  # (time, pid, uid, [lines])
        self.process = None

    def start(self):
        umask = int(self.settings.get("UMask", "0022"), 8)
        workdir = self.settings.get("WorkingDirectory", "/").lstrip("-~") or "/"
        user, group, groups = self.user, self.group, self.groups

        def demote():
            os.setgroups(groups)
            os.setgid(group.gr_gid)
            os.setuid(user.pw_uid)
            os.umask(umask)

        environment = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8", "HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name,
            "SHELL": user.pw_shell, "NOTIFY_SOCKET": self.socket_path, "WATCHDOG_USEC": str(self.watchdog_usec),
            "INVOCATION_ID": os.urandom(16).hex(),
        }
        self.log = open(self.log_path, "wb")
        print(f"== {self.unit}: {' '.join(self.argv)} as {user.pw_name}:{group.gr_name} "
              f"(groups {','.join(grp.getgrgid(g).gr_name for g in groups)}), cwd {workdir}, "
              f"WATCHDOG_USEC={self.watchdog_usec}", flush=True)
        self.started = time.monotonic()
        # WATCHDOG_PID is the main process's own pid: a shell sets it to its $$ and execs ExecStart, which keeps that pid.
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh"] + self.argv, cwd=workdir, env=environment,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=demote)

    def receive(self, timeout):
        """The next notification (time, pid, uid, lines), or None after timeout."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return None
        pid = uid = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _ = struct.unpack("iII", payload[:12])
        message = (time.monotonic(), pid, uid, data.decode("utf-8", "replace").split("\n"))
        self.messages.append(message)
        if pid != self.process.pid:
            fail(f"{self.unit}: notification from pid {pid}, not the main process {self.process.pid} "
                 f"(NotifyAccess=main would drop it): {message[3]}", self)
        if uid != self.user.pw_uid:
            fail(f"{self.unit}: notification from uid {uid}, not {self.user.pw_name} ({self.user.pw_uid})", self)
        print(f"   {self.unit} +{message[0] - self.started:6.2f}s  {' | '.join(message[3])}", flush=True)
        return message

    def wait_for(self, line, timeout, what):
        """Waits for a notification holding `line`; fails if the process exits or time runs out first."""
        end = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None and line != "STOPPING=1":
                fail(f"{self.unit}: exited with status {self.process.returncode} while waiting for {what}", self)
            left = end - time.monotonic()
            if left <= 0:
                fail(f"{self.unit}: no {what} within {timeout:.0f} s", self)
            message = self.receive(min(left, 0.5))
            if message and line in message[3]:
                return message

    def show_output(self):
        try:
            with open(self.log_path, "rb") as log:
                lines = log.read().decode("utf-8", "replace").splitlines()[-40:]
            print(f"-- last output of {self.unit}:\n" + "\n".join("   " + line for line in lines), file=sys.stderr)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("units", nargs="+", help="unit files, started in this order and stopped in reverse")
    parser.add_argument("--watchdog-usec", type=int, default=0,
                        help="WATCHDOG_USEC to give (default: the unit's WatchdogSec=); the test shortens it")
    parser.add_argument("--pings", type=int, default=2, help="WATCHDOG=1 pings required after READY=1")
    parser.add_argument("--ready-timeout", type=float, default=90)
    parser.add_argument("--slack", type=float, default=0.5, help="allowed deviation of a ping gap, as a share of the interval")
    parser.add_argument("--while-up", help="a shell command run once every unit is ready (e.g. HTTP checks); must exit 0")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        fail("run as root (the services are started as their units' users)")

    workdir = tempfile.mkdtemp(prefix="qazline-units-")
    os.chmod(workdir, 0o755)
    services = []
    try:
        for path in arguments.units:
            service = Service(path, arguments.watchdog_usec, workdir)
            services.append(service)
            service.start()
            ready = service.wait_for("READY=1", arguments.ready_timeout, "READY=1")
            status = [line for line in ready[3] if line.startswith("STATUS=")]
            print(f"   {service.unit}: ready after {ready[0] - service.started:.2f} s {status}", flush=True)
            interval = service.watchdog_usec / 2_000_000
            previous = ready[0]
            for ping in range(arguments.pings):
                message = service.wait_for("WATCHDOG=1", interval * (1 + arguments.slack) + 1, f"WATCHDOG=1 #{ping + 1}")
                gap = message[0] - previous
                # The first ping follows READY=1 at once; the next ones come every half WATCHDOG_USEC.
                if ping > 0 and not (interval * (1 - arguments.slack) <= gap <= interval * (1 + arguments.slack)):
                    fail(f"{service.unit}: watchdog ping {ping + 1} came {gap:.2f} s after the previous one, "
                         f"expected every {interval:.2f} s (half of WATCHDOG_USEC)", service)
                previous = message[0]
            print(f"   {service.unit}: {arguments.pings} watchdog pings every ~{interval:.2f} s", flush=True)
        if arguments.while_up:
            print(f"== while up: {arguments.while_up}", flush=True)
            if subprocess.call(arguments.while_up, shell=True) != 0:
                fail(f"the check while up failed: {arguments.while_up}", services[-1])
        for service in reversed(services):
            print(f"== {service.unit}: SIGTERM", flush=True)
            sent = time.monotonic()
            service.process.send_signal(signal.SIGTERM)
            service.wait_for("STOPPING=1", service.stop_timeout, "STOPPING=1 after SIGTERM")
            try:
                status = service.process.wait(timeout=max(1, service.stop_timeout - (time.monotonic() - sent)))
            except subprocess.TimeoutExpired:
                service.process.kill()
                fail(f"{service.unit}: still running {service.stop_timeout:.0f} s (TimeoutStopSec) after SIGTERM", service)
            if status != 0:
                fail(f"{service.unit}: exit status {status} after SIGTERM, expected 0", service)
            print(f"   {service.unit}: stopped, exit 0 after {time.monotonic() - sent:.2f} s", flush=True)
    finally:
        for service in services:
            if service.process and service.process.poll() is None:
                service.process.kill()
                service.process.wait()
    print("run-as-unit: every unit became ready, pinged its watchdog and stopped cleanly")


if __name__ == "__main__":
    main()
