"""The file audit device as an operator sees it: what a KV write and read
leave in the file, that no secret is there in plaintext, that sys/audit-hash
finds a known value, that requests are refused when nothing can record
them, and that bad configurations are refused."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import hvac

from harness import ServerTest, main

ROOT = "root-CANARY-TOKEN-7f3a"
CANARY = "s3cr3t-CANARY-value-91b2"


def records(path):
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    assert lines[-1] == b"", "the file must end with a newline"
    return raw, [json.loads(line) for line in lines[:-1]]


class AuditFile(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token=ROOT).start()
        self.c = self.srv.client()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = os.path.join(self.tmp, "audit.log")

    def enable(self, path="file", description=None, **options):
        options.setdefault("file_path", self.log)
        body = {"type": "file", "options": options}
        if description is not None:
            body["description"] = description
        return self.srv.request("PUT", "/v1/sys/audit/" + path, body)

    def audit_hash(self, value, path="file"):
        status, body = self.srv.request(
            "PUT", "/v1/sys/audit-hash/" + path, {"input": value})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["hash"], body["data"]["hash"])
        return body["hash"]

    def test_kv_write_and_read_are_recorded_without_secrets(self):
        self.assertEqual(self.enable()[0], 204)
        self.c.secrets.kv.v2.create_or_update_secret(
            path="app", secret={"password": CANARY, "port": 5432},
            mount_point="secret")
        got = self.c.secrets.kv.v2.read_secret_version(
            path="app", mount_point="secret")
        self.assertEqual(got["data"]["data"]["password"], CANARY)

        raw, recs = records(self.log)
        self.assertNotIn(CANARY.encode(), raw)
        self.assertNotIn(ROOT.encode(), raw)
        self.assertIn(self.audit_hash(CANARY).encode(), raw)
        self.assertIn(self.audit_hash(ROOT).encode(), raw)

        ops = [(r["type"], r["request"]["operation"])
               for r in recs if r["request"]["path"] == "secret/data/app"]
        self.assertEqual(ops, [("request", "update"), ("response", "update"),
                               ("request", "read"), ("response", "read")])
        write = [r for r in recs if r["request"]["path"] == "secret/data/app"
                 and r["type"] == "request"][0]
        self.assertEqual(write["request"]["mount_type"], "kv")
        self.assertEqual(write["request"]["mount_point"], "secret/")
        self.assertEqual(write["request"]["namespace"],
                         {"id": "root", "path": ""})
        self.assertEqual(write["request"]["remote_address"], "127.0.0.1")
        self.assertTrue(write["auth"]["accessor"].startswith("hmac-sha256:"))
        self.assertTrue(
            write["auth"]["client_token"].startswith("hmac-sha256:"))
        self.assertEqual(write["auth"]["policies"], ["root"])
        self.assertEqual(write["request"]["data"]["data"]["password"],
                         self.audit_hash(CANARY))
        # Numbers are not hashed, as in Vault.
        self.assertEqual(write["request"]["data"]["data"]["port"], 5432)
        read = [r for r in recs if r["request"]["path"] == "secret/data/app"
                and r["type"] == "response"][-1]
        self.assertEqual(read["response"]["data"]["data"]["password"],
                         self.audit_hash(CANARY))
        # The file holds audit records; nobody else may read it.
        self.assertEqual(os.stat(self.log).st_mode & 0o777, 0o600)

    def test_records_name_the_accessor_and_entity_of_a_login(self):
        self.assertEqual(self.enable()[0], 204)
        password = "pw-" + CANARY
        self.c.sys.enable_auth_method("userpass")
        self.c.sys.create_or_update_policy(
            "kvrw", 'path "secret/*" { capabilities = '
            '["create", "read", "update"] }')
        self.c.write("auth/userpass/users/alice", password=password,
                     policies="kvrw")
        login = hvac.Client(url=self.srv.addr).auth.userpass.login(
            "alice", password)["auth"]
        tok, acc = login["client_token"], login["accessor"]
        self.assertTrue(login["entity_id"])
        user = self.srv.client(tok)
        user.secrets.kv.v2.create_or_update_secret(
            path="mine", secret={"v": CANARY}, mount_point="secret")
        user.secrets.kv.v2.read_secret_version(path="mine",
                                               mount_point="secret")

        raw, recs = records(self.log)
        mine = [r for r in recs if r["request"]["path"] == "secret/data/mine"]
        self.assertEqual([(r["type"], r["request"]["operation"])
                          for r in mine],
                         [("request", "create"), ("response", "create"),
                          ("request", "read"), ("response", "read")])
        for r in mine:
            self.assertEqual(r["auth"]["accessor"], self.audit_hash(acc))
            self.assertEqual(r["request"]["client_token_accessor"],
                             self.audit_hash(acc))
            self.assertEqual(r["auth"]["client_token"], self.audit_hash(tok))
            self.assertEqual(r["auth"]["entity_id"], login["entity_id"])
            self.assertEqual(r["auth"]["policies"], login["policies"])
        self.assertEqual(mine[3]["response"]["data"]["data"]["v"],
                         self.audit_hash(CANARY))
        # The login: its password, new token and accessor all hashed.
        logins = [r for r in recs
                  if r["request"]["path"] == "auth/userpass/login/alice"]
        self.assertEqual([r["type"] for r in logins], ["request", "response"])
        self.assertEqual(logins[0]["request"]["data"]["password"],
                         self.audit_hash(password))
        self.assertEqual(logins[1]["response"]["auth"]["client_token"],
                         self.audit_hash(tok))
        self.assertEqual(logins[1]["response"]["auth"]["accessor"],
                         self.audit_hash(acc))
        for secret in (CANARY, tok, acc):
            self.assertNotIn(secret.encode(), raw)

    def test_list_and_disable(self):
        self.assertEqual(self.enable(description="main trail")[0], 204)
        devices = self.c.sys.list_enabled_audit_devices()
        self.assertEqual(devices["data"]["file/"]["type"], "file")
        self.assertEqual(devices["data"]["file/"]["path"], "file/")
        self.assertEqual(devices["data"]["file/"]["description"],
                         "main trail")
        self.assertEqual(devices["data"]["file/"]["options"]["file_path"],
                         self.log)
        self.assertIn("file/", devices)  # node-vault's top-level copy
        self.c.sys.disable_audit_device("file")
        self.assertEqual(self.c.sys.list_enabled_audit_devices()["data"], {})
        size = os.path.getsize(self.log)
        self.c.sys.list_mounted_secrets_engines()
        self.assertEqual(os.path.getsize(self.log), size)

    def test_hvac_enable_and_hash(self):
        self.c.sys.enable_audit_device("file", path="trail",
                                       options={"file_path": self.log})
        h = self.c.sys.calculate_hash("trail", CANARY)
        self.assertTrue(h["data"]["hash"].startswith("hmac-sha256:"))
        self.assertEqual(len(h["data"]["hash"]), len("hmac-sha256:") + 64)

    def test_two_devices_have_their_own_salts(self):
        other = os.path.join(self.tmp, "other.log")
        self.assertEqual(self.enable()[0], 204)
        self.assertEqual(self.enable("second", file_path=other)[0], 204)
        self.assertNotEqual(self.audit_hash(CANARY),
                            self.audit_hash(CANARY, "second"))
        self.c.secrets.kv.v2.create_or_update_secret(
            path="x", secret={"k": CANARY}, mount_point="secret")
        self.assertIn(self.audit_hash(CANARY, "second").encode(),
                      records(other)[0])

    def test_log_raw_and_non_hmac(self):
        self.assertEqual(self.enable(log_raw="true")[0], 204)
        self.c.secrets.kv.v2.create_or_update_secret(
            path="raw", secret={"k": CANARY}, mount_point="secret")
        self.assertIn(CANARY.encode(), records(self.log)[0])

    def test_bad_configurations_are_refused(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        link = os.path.join(self.tmp, "link.log")
        os.symlink(os.path.join(self.tmp, "target.log"), link)
        bin_dir = os.path.dirname(os.path.realpath(
            os.environ.get("COFFER_BIN", "build/coffer")))
        cases = [
            ({"type": "nosuch"}, "unknown audit device type"),
            ({"type": "file"}, "file_path is required"),
            ({"type": "file", "options": {"file_path": "rel.log"}},
             "absolute"),
            ({"type": "file", "options": {"file_path": self.log,
                                          "mode": "0755"}}, "execute"),
            ({"type": "file", "options": {"file_path": self.log,
                                          "mode": "4600"}}, "setuid"),
            ({"type": "file", "options": {"file_path": self.log,
                                          "mode": "abc"}}, "octal"),
            ({"type": "file", "options": {"file_path": self.log,
                                          "colour": "red"}},
             "unknown option"),
            # Vault's prefix option let a log start with any bytes (an
            # ELF header: CVE-2025-6000); there is none here.
            ({"type": "file", "options": {"file_path": self.log,
                                          "prefix": "\x7fELF"}},
             "unknown option \"prefix\""),
            ({"type": "file", "options": {"file_path": link}},
             "symbolic link"),
            ({"type": "file", "options": {"file_path": "/usr/bin/x"}},
             "system folder"),
            ({"type": "file",
              "options": {"file_path": os.path.join(bin_dir, "evil.so")}},
             "own folder"),
            ({"type": "file",
              "options": {"file_path": self.tmp + "/../x.log"}}, ".."),
            ({"type": "file", "options": {"file_path": "/nonexistent/a/b"}},
             "folder"),
            ({"type": "file", "options": {"file_path": self.tmp}},
             "directory"),
            ({"type": "file", "options": {"file_path": fifo}},
             "not a regular file"),
            ({"type": "socket", "options": {"address": "127.0.0.1:1"}},
             "cannot connect"),
            ({"type": "socket", "options": {"address": "nocolon"}},
             "host:port"),
            ({"type": "file", "options": {"file_path": self.log,
                                          "format": "jsonx"}},
             "only json"),
        ]
        for body, why in cases:
            status, resp = self.srv.request("PUT", "/v1/sys/audit/x", body)
            self.assertEqual(status, 400, (body, resp))
            self.assertIn(why, resp["errors"][0], body)
        self.assertFalse(os.path.exists(os.path.join(self.tmp,
                                                     "target.log")))
        self.assertEqual(self.c.sys.list_enabled_audit_devices()["data"], {})

        self.assertEqual(self.enable()[0], 204)
        status, resp = self.enable()
        self.assertEqual(status, 400)
        self.assertIn("path already in use", resp["errors"][0])
        status, resp = self.srv.request("PUT", "/v1/sys/audit-hash/file",
                                        {"input": ""})
        self.assertEqual(status, 400)
        status, resp = self.srv.request("PUT", "/v1/sys/audit-hash/nosuch",
                                        {"input": "x"})
        self.assertEqual(status, 400)
        self.assertIn("unknown audit device", resp["errors"][0])

    def test_canaries_in_bodies_queries_headers_and_errors(self):
        self.assertEqual(self.enable()[0], 204)
        # A failing write whose body carries the canary.
        self.srv.request("PUT", "/v1/secret/data/bad", {"data": CANARY})
        self.srv.request("PUT", "/v1/secret/data/bad2",
                         {"data": {"a": [CANARY, {"deep": CANARY}]},
                          "options": {"cas": CANARY}})
        self.srv.request("GET", "/v1/secret/data/q?version=" + CANARY)
        self.srv.request("GET", "/v1/secret/data/h",
                         headers={"X-Custom-Secret": CANARY,
                                  "Authorization": "Bearer " + CANARY})
        self.srv.request("PUT", "/v1/sys/audit-hash/file",
                         {"input": CANARY})
        raw, recs = records(self.log)
        self.assertGreater(len(recs), 6)
        self.assertNotIn(CANARY.encode(), raw)
        self.assertNotIn(ROOT.encode(), raw)

    def headers_config(self, name=None, method="GET", body=None):
        path = "/v1/sys/config/auditing/request-headers"
        if name is not None:
            path += "/" + name
        return self.srv.request(method, path, body)

    def test_configured_request_headers_are_recorded(self):
        self.assertEqual(self.enable()[0], 204)
        self.assertEqual(self.headers_config(
            "X-Request-Source", "PUT", {"hmac": True})[0], 204)
        self.assertEqual(self.headers_config(
            "x-trace-id", "PUT", {"hmac": False})[0], 204)
        # Configuring the token's headers records nothing either way.
        self.assertEqual(self.headers_config(
            "x-vault-token", "PUT", {"hmac": False})[0], 204)
        self.assertEqual(self.headers_config(
            "authorization", "PUT", {"hmac": False})[0], 204)
        source = "canary-header-value"
        trace = "trace-CLEAR-4411"
        status, _ = self.srv.request(
            "GET", "/v1/sys/mounts",
            headers={"X-Request-Source": source, "X-Trace-Id": trace,
                     "X-Unlisted": CANARY})
        self.assertEqual(status, 200)
        status, _ = self.srv.request(
            "GET", "/v1/sys/auth", token="",
            headers={"Authorization": "Bearer " + ROOT,
                     "X-Request-Source": source})
        self.assertEqual(status, 200)

        raw, recs = records(self.log)
        self.assertNotIn(source.encode(), raw)
        self.assertNotIn(CANARY.encode(), raw)
        self.assertNotIn(ROOT.encode(), raw)
        mounts = [r for r in recs if r["request"]["path"] == "sys/mounts"]
        self.assertEqual(len(mounts), 2)
        for r in mounts:
            self.assertEqual(r["request"]["headers"], {
                "x-request-source": [self.audit_hash(source)],
                "x-trace-id": [trace]})
        auth = [r for r in recs if r["request"]["path"] == "sys/auth"]
        self.assertEqual(len(auth), 2)
        for r in auth:
            self.assertEqual(r["request"]["headers"], {
                "x-request-source": [self.audit_hash(source)]})
        for r in recs:
            for name in r["request"].get("headers", {}):
                self.assertNotIn(name, ("x-vault-token", "authorization",
                                        "x-unlisted"))

    def test_request_header_config_list_read_delete(self):
        status, body = self.headers_config()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"headers": {}})
        self.assertEqual(self.headers_config(
            "X-Forwarded-For", "PUT", {"hmac": False})[0], 204)
        self.assertEqual(self.headers_config(
            "x-request-source", "POST", {"hmac": "true"})[0], 204)
        status, body = self.headers_config()
        self.assertEqual(status, 200)
        want = {"x-forwarded-for": {"hmac": False},
                "x-request-source": {"hmac": True}}
        self.assertEqual(body["data"]["headers"], want)
        self.assertEqual(body["headers"], want)  # the top-level copy
        status, body = self.headers_config("X-Forwarded-For")
        self.assertEqual(status, 200)
        self.assertEqual(body["data"], {"x-forwarded-for": {"hmac": False}})
        # Setting it again replaces the entry.
        self.assertEqual(self.headers_config(
            "x-forwarded-for", "PUT", {"hmac": True})[0], 204)
        self.assertEqual(self.headers_config("x-forwarded-for")[1]["data"],
                         {"x-forwarded-for": {"hmac": True}})
        self.assertEqual(self.headers_config(
            "x-forwarded-for", "DELETE")[0], 204)
        self.assertEqual(self.headers_config("x-forwarded-for")[0], 400)
        self.assertEqual(self.headers_config()[1]["data"]["headers"],
                         {"x-request-source": {"hmac": True}})
        # Bad input.
        self.assertEqual(self.headers_config(
            "bad%20name", "PUT", {"hmac": False})[0], 400)
        self.assertEqual(self.headers_config(
            "x-ok", "PUT", {"hmac": "maybe"})[0], 400)
        self.assertEqual(self.headers_config(
            "x" * 300, "PUT", {"hmac": False})[0], 400)
        # A token without sudo may not change what is audited.
        tok = self.c.auth.token.create(policies=["default"])["auth"]
        status, _ = self.srv.request(
            "PUT", "/v1/sys/config/auditing/request-headers/x-a",
            {"hmac": False}, token=tok["client_token"])
        self.assertEqual(status, 403)
        self.assertNotIn("x-a", self.headers_config()[1]["data"]["headers"])

    def test_refused_requests_are_recorded(self):
        self.assertEqual(self.enable()[0], 204)
        bad = "bad-CANARY-token-5e21"
        status, _ = self.srv.request("GET", "/v1/secret/data/x", token=bad)
        self.assertEqual(status, 403)
        tok = self.c.auth.token.create(policies=["default"])["auth"]
        status, _ = self.srv.request("GET", "/v1/secret/data/x",
                                     token=tok["client_token"])
        self.assertEqual(status, 403)
        status, _ = self.srv.request("GET", "/v1/nosuch/path")
        self.assertEqual(status, 404)
        status, _ = self.srv.request("GET", "/v1/secret/data/x", token="")
        self.assertEqual(status, 403)

        raw, recs = records(self.log)
        self.assertNotIn(bad.encode(), raw)
        self.assertNotIn(tok["client_token"].encode(), raw)
        self.assertNotIn(ROOT.encode(), raw)
        denied = [r for r in recs if r["request"]["path"] == "secret/data/x"]
        self.assertEqual([r["type"] for r in denied],
                         ["request", "response"] * 3)
        for r in denied:
            self.assertEqual(r["request"]["operation"], "read")
        for r in denied[1::2]:
            self.assertIn("permission denied", r["error"])
        for r in denied[0::2]:
            self.assertEqual(r["error"], "")

        # The bad token: hashed, and no auth known beyond it.
        for r in denied[0:2]:
            self.assertEqual(r["request"]["client_token"],
                             self.audit_hash(bad))
            self.assertEqual(r["auth"], {
                "client_token": self.audit_hash(bad)})
        # The policy denial: the caller is known, with its policies.
        for r in denied[2:4]:
            self.assertEqual(r["auth"]["client_token"],
                             self.audit_hash(tok["client_token"]))
            self.assertEqual(r["auth"]["policies"], ["default"])
            self.assertEqual(r["request"]["mount_point"], "secret/")
        # No token at all.
        for r in denied[4:6]:
            self.assertEqual(r["auth"], {})
            self.assertNotIn("client_token", r["request"])

        unknown = [r for r in recs if r["request"]["path"] == "nosuch/path"]
        self.assertEqual([r["type"] for r in unknown],
                         ["request", "response"])
        self.assertIn("no handler for route", unknown[1]["error"])

    def test_refused_request_stays_refused_without_audit(self):
        sub = os.path.join(self.tmp, "sub")
        os.mkdir(sub)
        self.assertEqual(self.enable(file_path=sub + "/a.log")[0], 204)
        shutil.rmtree(sub)
        status, body = self.srv.request("GET", "/v1/secret/data/x",
                                        token="bad-token")
        self.assertEqual(status, 403)
        self.assertIn("permission denied", body["errors"])

    def test_log_injection_is_escaped(self):
        self.assertEqual(self.enable()[0], 204)
        evil = 'k\n{"type":"forged"}\r\x1b[31m\u2028"quote'
        self.srv.request("PUT", "/v1/secret/data/inj",
                         {"data": {evil: "v"}})
        raw, recs = records(self.log)
        for bad in (b"\x1b", b"\r", b"\xe2\x80\xa8"):
            self.assertNotIn(bad, raw)
        self.assertFalse(any(r.get("type") == "forged" for r in recs))
        keys = [k for r in recs if r["request"]["path"] == "secret/data/inj"
                and r["type"] == "request"
                for k in r["request"]["data"]["data"]]
        self.assertEqual(keys, [evil])

    def test_refused_when_the_only_device_cannot_write(self):
        sub = os.path.join(self.tmp, "sub")
        os.mkdir(sub)
        self.assertEqual(self.enable(file_path=sub + "/a.log")[0], 204)
        self.c.secrets.kv.v2.create_or_update_secret(
            path="ok", secret={"k": "v"}, mount_point="secret")

        # The folder goes away: records would vanish, so requests stop.
        shutil.rmtree(sub)
        status, body = self.srv.request("GET", "/v1/secret/data/ok")
        self.assertEqual(status, 500)
        self.assertIn("audit failure", body["errors"][0])
        status, body = self.srv.request("PUT", "/v1/secret/data/ok",
                                        {"data": {"k": CANARY}})
        self.assertEqual(status, 500)

        os.mkdir(sub)
        status, body = self.srv.request("GET", "/v1/secret/data/ok")
        self.assertEqual(status, 200)
        self.assertEqual(body["data"]["data"], {"k": "v"})

    def test_refused_while_the_file_or_its_folder_is_read_only(self):
        """chattr +i stops even root, whom the tests run as."""
        if shutil.which("chattr") is None:
            self.skipTest("chattr is not installed")
        sub = os.path.join(self.tmp, "sub")
        os.mkdir(sub)
        log = os.path.join(sub, "a.log")
        self.assertEqual(self.enable(file_path=log)[0], 204)
        if subprocess.call(["chattr", "+i", log],
                           stderr=subprocess.DEVNULL) != 0:
            self.skipTest("this file system has no immutable files")
        self.addCleanup(subprocess.call, ["chattr", "-i", log, sub],
                        stderr=subprocess.DEVNULL)
        status, body = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 500)
        self.assertIn("audit failure: no audit device could record the "
                      "request", body["errors"][0])
        subprocess.check_call(["chattr", "-i", log])
        self.assertEqual(self.srv.request("GET", "/v1/sys/mounts")[0], 200)

        # The file gone and its folder read-only: it cannot come back.
        os.unlink(log)
        subprocess.check_call(["chattr", "+i", sub])
        status, body = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 500)
        self.assertIn("audit failure", body["errors"][0])
        subprocess.check_call(["chattr", "-i", sub])
        self.assertEqual(self.srv.request("GET", "/v1/sys/mounts")[0], 200)
        self.assertIn(b"sys/mounts", records(log)[0])

    def test_refused_on_a_full_disk_and_back_after(self):
        mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(mnt)
        if subprocess.call(["mount", "-t", "tmpfs", "-o", "size=256k",
                            "tmpfs", mnt]) != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(subprocess.call, ["umount", "-l", mnt])
        self.assertEqual(self.enable(file_path=mnt + "/a.log")[0], 204)
        self.c.secrets.kv.v2.create_or_update_secret(
            path="ok", secret={"k": "v"}, mount_point="secret")
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * (1 << 20))
            except OSError:
                pass
        status, body = self.srv.request("GET", "/v1/secret/data/ok")
        self.assertEqual(status, 500)
        self.assertIn("audit failure", body["errors"][0])
        # No half record was left behind.
        records(mnt + "/a.log")

        os.unlink(filler)
        status, body = self.srv.request("GET", "/v1/secret/data/ok")
        self.assertEqual(status, 200)

    def test_one_working_device_is_enough(self):
        sub = os.path.join(self.tmp, "sub")
        os.mkdir(sub)
        self.assertEqual(self.enable("a", file_path=sub + "/a.log")[0], 204)
        self.assertEqual(self.enable("b")[0], 204)
        shutil.rmtree(sub)
        status, _ = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 200)
        self.assertIn(b"sys/mounts", records(self.log)[0])

    def test_sighup_reopens_after_rotation(self):
        self.assertEqual(self.enable()[0], 204)
        self.c.sys.list_mounted_secrets_engines()
        os.rename(self.log, self.log + ".1")
        self.srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while not os.path.exists(self.log) and time.time() < deadline:
            time.sleep(0.05)
        self.c.sys.list_auth_methods()
        self.assertIn(b"sys/auth", records(self.log)[0])
        self.assertNotIn(b"sys/auth", records(self.log + ".1")[0])


class AuditPersistence(ServerTest):
    def test_devices_and_salts_survive_restart_and_seal(self):
        tmp = tempfile.mkdtemp(prefix="coffer-audit-")
        self.addCleanup(shutil.rmtree, tmp, True)
        log = os.path.join(tmp, "audit.log")
        srv = self.server().start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        c = srv.client(init["root_token"])
        c.sys.submit_unseal_key(init["keys"][0])
        c.sys.enable_audit_device("file", options={"file_path": log})
        before = c.sys.calculate_hash("file", CANARY)["data"]["hash"]
        hdr = "/v1/sys/config/auditing/request-headers"
        self.assertEqual(srv.request("PUT", hdr + "/x-source",
                                     {"hmac": True},
                                     token=init["root_token"])[0], 204)

        srv.restart()
        c = srv.client(init["root_token"])
        c.sys.submit_unseal_key(init["keys"][0])
        self.assertIn("file/", c.sys.list_enabled_audit_devices()["data"])
        self.assertEqual(c.sys.calculate_hash("file", CANARY)["data"]["hash"],
                         before)
        self.assertEqual(
            srv.request("GET", hdr, token=init["root_token"])[1]["data"],
            {"headers": {"x-source": {"hmac": True}}})
        c.sys.seal()
        c.sys.submit_unseal_key(init["keys"][0])
        c.sys.list_mounted_secrets_engines()
        _, recs = records(log)
        self.assertEqual(recs[-1]["request"]["path"], "sys/mounts")
        # The salt is behind the barrier: not in the database in clear.
        with open(srv.db_path, "rb") as f:
            self.assertNotIn(b'"salt"', f.read())


if __name__ == "__main__":
    main()
