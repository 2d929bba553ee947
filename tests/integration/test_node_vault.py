"""node-vault 0.12.0, the npm client, against the real server.

Each test starts a dev server and runs one script of tests/integration/node
with node; the script uses node-vault as an application would and prints
one line per check. The test fails when the script exits non-zero and shows
everything it printed. node-vault comes from tests/integration/node's
package-lock.json (scripts/install-node-deps.sh, run by `make test-deps`).
COFFER_NODE names another node binary (to try Debian 12's node 18).
"""

import os
import re
import subprocess

from harness import ServerTest, main

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "node")
NODE = os.environ.get("COFFER_NODE", "node")


class NodeVault(ServerTest):
    def setUp(self):
        super().setUp()
        module = os.path.join(NODE_DIR, "node_modules", "node-vault")
        if not os.path.isdir(module):
            self.fail("node-vault is not installed in %s: run "
                      "`make test-deps` (scripts/install-node-deps.sh)"
                      % NODE_DIR)
        self.srv = self.server(dev=True, root_token="node-root").start()

    def unseal_key(self):
        m = re.search(r"Unseal Key: (\S+)", self.srv.read_log())
        self.assertIsNotNone(m, "dev server printed no unseal key")
        return m.group(1)

    def run_script(self, name, extra_env=None):
        # Only what we pass: a VAULT_NAMESPACE or VAULT_PREFIX from the
        # caller's shell would change node-vault's requests.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("VAULT_")}
        env.update({"VAULT_ADDR": self.srv.addr,
                    "VAULT_TOKEN": self.srv.root_token})
        env.update(extra_env or {})
        try:
            proc = subprocess.run(
                [NODE, os.path.join(NODE_DIR, name)], cwd=NODE_DIR,
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                timeout=300)
        except FileNotFoundError:
            self.fail("no %r to run: install nodejs (`make test-deps`)"
                      % NODE)
        out = proc.stdout.decode("utf-8", "replace")
        print("--- node %s ---\n%s" % (name, out), end="", flush=True)
        self.assertEqual(proc.returncode, 0,
                         "node %s exited with %d:\n%s"
                         % (name, proc.returncode, out))
        # A script that died before its runner finished would print no
        # closing line; an exit code of 0 alone is not enough.
        self.assertRegex(out, r"(?m)^[1-9]\d* passed, 0 failed$")

    def test_sys(self):
        self.run_script("sys.js")

    def test_kv(self):
        self.run_script("kv.js")

    def test_tokens(self):
        self.run_script("tokens.js")

    def test_sealed(self):
        self.run_script("sealed.js", {"VAULT_UNSEAL_KEY": self.unseal_key()})


if __name__ == "__main__":
    main()
