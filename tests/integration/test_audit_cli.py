"""coffer audit enable|disable|list against a real server."""

import json
import os
import shutil
import subprocess
import tempfile

from harness import BIN, ServerTest, main


class AuditCli(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_cli(self, *args):
        env = dict(os.environ, VAULT_ADDR=self.srv.addr, VAULT_TOKEN="root",
                   HOME=self.srv.dir)
        p = subprocess.run([BIN] + list(args), env=env, capture_output=True,
                           timeout=30, text=True)
        return p.returncode, p.stdout, p.stderr

    def test_enable_list_disable(self):
        log = os.path.join(self.tmp, "audit.log")
        code, out, err = self.run_cli("audit", "list")
        self.assertEqual(code, 2)
        self.assertIn("No audit devices are enabled.", out)

        code, out, err = self.run_cli("audit", "enable", "-path=trail",
                                      "-description=main trail", "file",
                                      "file_path=" + log, "mode=0640")
        self.assertEqual(code, 0, err)
        self.assertIn("Success! Enabled the file audit device at: trail/",
                      out)
        self.assertEqual(os.stat(log).st_mode & 0o777, 0o640)

        code, out, err = self.run_cli("audit", "list")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["Path", "Type", "Description"])
        self.assertEqual(lines[2].split(None, 2),
                         ["trail/", "file", "main trail"])
        code, out, err = self.run_cli("audit", "list", "-detailed")
        self.assertIn(log, out)
        self.assertIn("replicated", out)
        code, out, err = self.run_cli("audit", "list", "-format=json")
        self.assertEqual(json.loads(out)["trail/"]["options"]["mode"],
                         "0640")

        code, out, err = self.run_cli("audit", "disable", "trail")
        self.assertEqual(code, 0, err)
        self.assertIn("Disabled audit device", out)
        self.assertEqual(self.run_cli("audit", "list")[0], 2)

    def test_errors(self):
        code, out, err = self.run_cli("audit", "enable")
        self.assertEqual(code, 2)
        code, out, err = self.run_cli("audit", "enable", "file", "novalue")
        self.assertEqual(code, 2)
        self.assertIn("K=V", err)
        code, out, err = self.run_cli("audit", "enable", "nosuch")
        self.assertEqual(code, 1)
        self.assertIn("unknown audit device type", err)
        code, out, err = self.run_cli("audit", "enable", "file",
                                      "file_path=/usr/lib/x.so")
        self.assertEqual(code, 1)
        self.assertIn("system folder", err)


if __name__ == "__main__":
    main()
