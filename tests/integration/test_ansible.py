"""Ansible against the real server: Debian 12's ansible 7.7 with the
community.hashi_vault collection it bundles (4.2.1, over python3-hvac),
run as `ansible-playbook` on localhost with the playbooks in ansible/.

One playbook reads a KV v2 secret with the vault_kv2_get module and the
hashi_vault lookup, logging in by token and by AppRole, logs in with
vault_login, writes with vault_kv2_write and vault_write, and asserts
every value; this test checks its exit status, the values it left in a
file, what it wrote on the server, and that its three AppRole logins
used up a three-use secret id. Another runs a read with a wrong
token and must fail with the server's "permission denied" in view.

Everything Ansible writes stays in a temporary HOME: its own empty
ansible.cfg, no retry files, no host key checks, no inventory file."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import ServerTest, main

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "ansible")
ANSIBLE = shutil.which("ansible-playbook")

POLICY = """
path "secret/data/app/*"    { capabilities = ["read"] }
path "secret/data/deploy/*" { capabilities = ["create", "update", "read"] }
"""


def ansible_env(home):
    """The environment of one run: nothing of the caller's Ansible or
    Vault settings, everything Ansible writes under home."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "VAULT_"))}
    cfg = os.path.join(home, "ansible.cfg")
    with open(cfg, "w"):
        pass
    os.makedirs(os.path.join(home, "tmp"), exist_ok=True)
    env.update({
        "HOME": home,
        "ANSIBLE_CONFIG": cfg,
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(home, "remote-tmp"),
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "TMPDIR": os.path.join(home, "tmp"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


@unittest.skipIf(ANSIBLE is None,
                 "ansible-playbook is not installed "
                 "(scripts/install-deps.sh test installs Debian's ansible)")
class Ansible(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        # tearDown does not run when setUp fails; cleanups do.
        self.addCleanup(self.srv.cleanup)
        c = self.srv.client()
        kv = c.secrets.kv.v2
        kv.create_or_update_secret(path="app/db", secret={
            "user": "svc", "password": "pw-one"})
        kv.create_or_update_secret(path="app/db", secret={
            "user": "svc", "password": "pw-two"})
        c.sys.create_or_update_policy("deploy", POLICY)
        c.sys.enable_auth_method("approle")
        # Three logins use the secret id: the module, the lookup and
        # vault_login; a fourth shows that all three happened.
        c.auth.approle.create_or_update_approle(
            "deploy", token_policies=["deploy"], token_ttl="10m",
            secret_id_num_uses=3)
        self.role_id = c.auth.approle.read_role_id("deploy")[
            "data"]["role_id"]
        self.secret_id = c.auth.approle.generate_secret_id("deploy")[
            "data"]["secret_id"]
        self.token = c.auth.token.create(
            policies=["deploy"], ttl="10m")["auth"]["client_token"]
        self.home = tempfile.mkdtemp(prefix="coffer-ansible-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)

    def play(self, playbook, token, *extra):
        out_file = os.path.join(self.home, "out.json")
        with open(os.path.join(self.home, "vars.json"), "w") as f:
            json.dump({"vault_url": self.srv.addr, "vault_token": token,
                       "role_id": self.role_id,
                       "secret_id": self.secret_id,
                       "out_file": out_file}, f)
        args = [ANSIBLE, "-i", "localhost,", "-c", "local",
                "-e", "@" + os.path.join(self.home, "vars.json"),
                os.path.join(PLAYBOOKS, playbook)] + list(extra)
        r = subprocess.run(args, env=ansible_env(self.home), cwd=self.home,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        return r.returncode, r.stdout.decode("utf-8", "replace"), out_file

    def test_read_and_write_with_token_and_approle(self):
        code, out, out_file = self.play("secrets.yml", self.token)
        self.assertEqual(code, 0, out)
        self.assertRegex(out, r"localhost\s+: ok=10 .*failed=0")

        with open(out_file) as f:
            got = json.load(f)
        want = {"user": "svc", "password": "pw-two"}
        self.assertEqual(got["by_token"], want)
        self.assertEqual(got["by_approle"], want)
        self.assertEqual(got["first"], {"user": "svc", "password": "pw-one"})
        self.assertEqual(got["lookup_password"], "pw-two")
        self.assertEqual(got["lookup_all"], want)
        self.assertEqual(got["raw_version"], 1)

        # What the playbook wrote is on the server.
        kv = self.srv.client().secrets.kv.v2
        self.assertEqual(kv.read_secret_version(path="deploy/out")["data"][
            "data"], {"written_by": "ansible", "copied": "pw-two"})
        self.assertEqual(kv.read_secret_version(path="deploy/raw")["data"][
            "data"], {"release": "42"})

        # The three AppRole logins used the secret id up.
        status, body = self.srv.request(
            "POST", "/v1/auth/approle/login",
            {"role_id": self.role_id, "secret_id": self.secret_id}, token="")
        self.assertEqual(status, 400, body)

    def test_wrong_token_is_refused(self):
        code, out, _ = self.play("denied.yml", "hvs.not-a-token", "-vvv")
        # 2: a task failed on a host.
        self.assertEqual(code, 2, out)
        self.assertIn("Forbidden: Permission Denied to path ['app/db']", out)
        # The server's own message, carried by hvac's exception.
        self.assertIn("hvac.exceptions.Forbidden: permission denied", out)
        self.assertNotIn("pw-two", out)
        self.assertRegex(out, r"localhost\s+: ok=0 .*failed=1")
        # A failed play leaves no retry file beside the playbook.
        self.assertEqual([f for f in os.listdir(PLAYBOOKS)
                          if f.endswith(".retry")], [])


if __name__ == "__main__":
    main()
