"""The coffer CLI against a real server: the commands an operator types,
their output and their exit codes."""

import json
import os
import subprocess

from harness import BIN, ServerTest, main


class Cli(ServerTest):
    def run_cli(self, *args, token="root", stdin=None, addr=None):
        env = dict(os.environ)
        env.pop("VAULT_TOKEN", None)
        env["VAULT_ADDR"] = addr or self.srv.addr
        env["HOME"] = self.srv.dir
        if token:
            env["VAULT_TOKEN"] = token
        p = subprocess.run([BIN] + list(args), env=env, input=stdin,
                           capture_output=True, timeout=30, text=True)
        return p.returncode, p.stdout, p.stderr

    def test_operator_flow_on_sqlite(self):
        self.srv = self.server().start()
        code, out, err = self.run_cli("status", token=None)
        self.assertEqual(code, 2, err)  # sealed (and not initialised)
        self.assertIn("Initialized", out)

        code, out, err = self.run_cli("operator", "init", "-key-shares=3",
                                      "-key-threshold=2", token=None)
        self.assertEqual(code, 0, err)
        keys = [l.split(": ", 1)[1] for l in out.splitlines()
                if l.startswith("Unseal Key ")]
        root = [l.split(": ", 1)[1] for l in out.splitlines()
                if l.startswith("Initial Root Token: ")][0]
        self.assertEqual(len(keys), 3)

        code, out, _ = self.run_cli("operator", "unseal", keys[0],
                                    token=None)
        self.assertEqual(code, 0)
        self.assertIn("Unseal Progress", out)
        # The key can also come on standard input.
        code, out, err = self.run_cli("operator", "unseal", token=None,
                                      stdin=keys[2] + "\n")
        self.assertEqual(code, 0, err)
        code, out, _ = self.run_cli("status", token=None)
        self.assertEqual(code, 0)

        code, out, err = self.run_cli("secrets", "enable", "-path=kv",
                                      "-version=2", "kv", token=root)
        self.assertEqual(code, 0, err)
        self.assertIn("Success", out)
        code, out, err = self.run_cli("secrets", "list", token=root)
        self.assertIn("kv/", out)
        self.assertIn("sys/", out)

        code, out, err = self.run_cli("write", "kv/data/app", "-",
                                      token=root,
                                      stdin='{"data": {"user": "svc"}}')
        self.assertEqual(code, 0, err)
        code, out, err = self.run_cli("read", "-format=json", "kv/data/app",
                                      token=root)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["data"]["data"], {"user": "svc"})

        code, out, err = self.run_cli("operator", "rotate", token=root)
        self.assertEqual(code, 0, err)
        self.assertIn("Key Term", out)
        self.assertIn("2", out)

        code, out, err = self.run_cli("operator", "seal", token=root)
        self.assertEqual(code, 0, err)
        code, out, err = self.run_cli("status", token=None)
        self.assertEqual(code, 2)

    def test_read_write_list_delete(self):
        self.srv = self.server(dev=True).start()
        code, out, err = self.run_cli("secrets", "enable", "-path=kv1", "kv")
        self.assertEqual(code, 0, err)
        code, out, err = self.run_cli("write", "kv1/app/db", "user=svc",
                                      "password=p=w")
        self.assertEqual(code, 0, err)
        self.assertIn("Success! Data written to: kv1/app/db", out)
        code, out, err = self.run_cli("read", "-field=password",
                                      "kv1/app/db")
        self.assertEqual((code, out), (0, "p=w\n"), err)
        code, out, err = self.run_cli("list", "kv1/app")
        self.assertEqual(code, 0, err)
        self.assertIn("db", out.split())
        code, out, err = self.run_cli("delete", "kv1/app/db")
        self.assertEqual(code, 0, err)
        code, out, err = self.run_cli("read", "kv1/app/db")
        self.assertEqual(code, 2)
        self.assertIn("No value found", err)

    def test_errors_and_usage(self):
        self.srv = self.server(dev=True).start()
        code, out, err = self.run_cli("read", "kv1/x", token="bad-token")
        self.assertEqual(code, 1)
        self.assertIn("permission denied", err)
        self.assertNotIn("bad-token", err + out)
        code, _, _ = self.run_cli("read")
        self.assertEqual(code, 2)
        code, _, _ = self.run_cli("frobnicate")
        self.assertEqual(code, 2)
        code, _, _ = self.run_cli("read", "-nosuchflag", "x")
        self.assertEqual(code, 2)
        code, out, err = self.run_cli("status", addr="http://127.0.0.1:1")
        self.assertEqual(code, 1)


if __name__ == "__main__":
    main()
