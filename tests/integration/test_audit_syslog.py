"""The syslog and socket audit devices against a real rsyslogd (Debian's
package), started by the test on a private unix socket and loopback ports,
writing what it receives into the test's folder."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import ServerTest, free_port, main

ROOT = "root-CANARY-TOKEN-5d1c"
CANARY = "syslog-CANARY-value-0c4e"
RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"


class Rsyslog:
    def __init__(self, folder):
        self.dir = folder
        self.sock = os.path.join(folder, "log.sock")
        self.out = os.path.join(folder, "received.log")
        self.tcp = free_port()
        self.udp = free_port()
        conf = os.path.join(folder, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f'''
global(workDirectory="{folder}" maxMessageSize="256k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{self.sock}")
module(load="imtcp")
input(type="imtcp" port="{self.tcp}" address="127.0.0.1")
module(load="imudp")
input(type="imudp" port="{self.udp}" address="127.0.0.1")
template(name="tagmsg" type="string" string="%syslogtag%|%msg%\\n")
*.* action(type="omfile" file="{self.out}" template="tagmsg")
''')
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", conf, "-i",
             os.path.join(folder, "rsyslogd.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(self.sock) and self.port_open(self.tcp):
                return
            time.sleep(0.05)
        raise RuntimeError("rsyslogd did not start")

    @staticmethod
    def port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            return False

    def received(self, want, timeout=10):
        """The records whose tag matched, once want of them arrived."""
        deadline = time.time() + timeout
        lines = []
        while time.time() < deadline:
            if os.path.exists(self.out):
                with open(self.out, "rb") as f:
                    lines = f.read().splitlines()
            if want(lines):
                break
            time.sleep(0.1)
        return lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


def kv_records(lines, tag):
    """How many of tag's records are about the test's secret."""
    return len([r for r in payloads(lines, tag)
                if r["request"]["path"] == "secret/data/app"])


def payloads(lines, tag):
    out = []
    for line in lines:
        t, _, msg = line.partition(b"|")
        if t.startswith(tag.encode()):
            out.append(json.loads(msg.strip()))
    return out


@unittest.skipUnless(os.path.exists(RSYSLOGD), "rsyslog is not installed")
class AuditSyslog(ServerTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="coffer-rsyslog-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.rs = Rsyslog(self.tmp)
        self.addCleanup(lambda: self.rs.stop())
        self.srv = self.server(dev=True, root_token=ROOT).start()
        self.c = self.srv.client()

    def enable(self, path, type_, options):
        return self.srv.request("PUT", "/v1/sys/audit/" + path,
                                {"type": type_, "options": options})

    def write_and_read(self):
        self.c.secrets.kv.v2.create_or_update_secret(
            path="app", secret={"password": CANARY}, mount_point="secret")
        self.c.secrets.kv.v2.read_secret_version(path="app",
                                                 mount_point="secret")

    def assert_kv_records(self, recs, device):
        h = self.srv.request("PUT", "/v1/sys/audit-hash/" + device,
                             {"input": CANARY})[1]["hash"]
        kv = [(r["type"], r["request"]["operation"]) for r in recs
              if r["request"]["path"] == "secret/data/app"]
        self.assertEqual(kv, [("request", "update"), ("response", "update"),
                              ("request", "read"), ("response", "read")])
        self.assertIn(h, json.dumps(recs))

    def test_syslog_device(self):
        status, body = self.enable("syslog", "syslog", {
            "socket_path": self.rs.sock, "tag": "coffer-it",
            "facility": "local3"})
        self.assertEqual(status, 204, body)
        self.write_and_read()
        # rsyslog writes as it goes: wait for all four records of the
        # write and the read, not for a count that other records reach.
        lines = self.rs.received(lambda ls: kv_records(ls, "coffer-it") >= 4)
        self.assertNotIn(CANARY.encode(), b"\n".join(lines))
        self.assert_kv_records(payloads(lines, "coffer-it"), "syslog")

    def test_socket_device_tcp_rfc5424_and_udp(self):
        status, body = self.enable("tcp", "socket", {
            "address": "127.0.0.1:%d" % self.rs.tcp, "framing": "rfc5424",
            "tag": "coffer-tcp"})
        self.assertEqual(status, 204, body)
        status, body = self.enable("udp", "socket", {
            "address": "127.0.0.1:%d" % self.rs.udp, "socket_type": "udp",
            "framing": "rfc5424", "tag": "coffer-udp"})
        self.assertEqual(status, 204, body)
        self.write_and_read()
        lines = self.rs.received(
            lambda ls: kv_records(ls, "coffer-tcp") >= 4
            and kv_records(ls, "coffer-udp") >= 4)
        self.assertNotIn(CANARY.encode(), b"\n".join(lines))
        self.assert_kv_records(payloads(lines, "coffer-tcp"), "tcp")
        self.assert_kv_records(payloads(lines, "coffer-udp"), "udp")

    def test_syslog_down_fails_closed_and_recovers(self):
        self.assertEqual(self.enable("syslog", "syslog", {
            "socket_path": self.rs.sock, "tag": "coffer-it"})[0], 204)
        self.rs.stop()
        if os.path.exists(self.rs.sock):
            os.unlink(self.rs.sock)
        status, body = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 500)
        self.assertIn("audit failure", body["errors"][0])

        self.rs = Rsyslog(self.tmp)
        status, _ = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 200)
        lines = self.rs.received(
            lambda ls: any(b"sys/mounts" in l for l in ls))
        self.assertTrue(any(b"sys/mounts" in l for l in lines))

    def test_bad_options(self):
        for type_, opts, why in [
                ("syslog", {"facility": "nosuch"}, "facility"),
                ("syslog", {"tag": "a b"}, "tag"),
                ("syslog", {"socket_path": self.tmp + "/none.sock"},
                 "cannot connect"),
                ("socket", {"address": "127.0.0.1:%d" % self.rs.tcp,
                            "socket_type": "sctp"}, "socket_type"),
                ("socket", {"address": "127.0.0.1:%d" % self.rs.tcp,
                            "framing": "xml"}, "framing"),
                ("socket", {}, "address is required")]:
            status, body = self.enable("bad", type_, opts)
            self.assertEqual(status, 400, (opts, body))
            self.assertIn(why, body["errors"][0])


if __name__ == "__main__":
    main()
