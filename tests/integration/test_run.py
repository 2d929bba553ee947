"""coffer run against a dev server: secrets land in the child's environment
and nowhere on disk, exit codes and signals pass through, and a reference
that cannot be resolved stops everything before the child starts."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from harness import BIN, ServerTest, main

# The child: writes a marker when it starts, prints the variables it was
# asked about as JSON, and looks for the secret values in the files of its
# temporary folder and working directory. "wait" makes it sit until a
# signal comes (SIGTERM is caught unless "default" is given).
CHILD = r'''
import json, os, signal, sys, time
marker, mode = sys.argv[1], sys.argv[2]
names = sys.argv[3:]
with open(marker, "w") as f:
    f.write("started")
if mode == "wait-default":
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        time.sleep(0.1)
if mode == "wait":
    def on_term(sig, frame):
        with open(marker, "w") as f:
            f.write("got %d" % sig)
        sys.exit(42)
    signal.signal(signal.SIGTERM, on_term)
    while True:
        time.sleep(0.1)
found = []
# Only the secrets: a literal is in the env file by design.
values = [os.environ[n] for n in ("DB_PASSWORD", "API_KEY")
          if os.environ.get(n)]
for top in (os.path.dirname(marker), os.getcwd()):
    for root, dirs, files in os.walk(top):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read(1 << 20)
            except OSError:
                continue
            for v in values:
                if len(v) >= 8 and v.encode() in data:
                    found.append(os.path.join(root, name))
print(json.dumps({"env": {n: os.environ.get(n) for n in names},
                  "keys": sorted(os.environ),
                  "found": found}))
sys.exit(int(mode) if mode.isdigit() else 0)
'''

PASSWORD = "pw-7f3a9c1e5b2d"
API_KEY = "key-0d9e8f7a6b5c"


class Run(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()
        self.tmp = tempfile.mkdtemp(prefix="coffer-run-")
        self.child = os.path.join(self.tmp, "child.py")
        with open(self.child, "w") as f:
            f.write(CHILD)
        self.marker = os.path.join(self.tmp, "started")
        st, _ = self.srv.request("PUT", "/v1/secret/data/app", {
            "data": {"password": PASSWORD, "user": "svc", "port": 5432}})
        self.assertEqual(st, 200)
        st, _ = self.srv.request("POST", "/v1/sys/mounts/kv1",
                                 {"type": "kv"})
        self.assertEqual(st, 204)
        st, _ = self.srv.request("PUT", "/v1/kv1/api", {"key": API_KEY})
        self.assertEqual(st, 204)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def env(self):
        env = dict(os.environ)
        env["VAULT_ADDR"] = self.srv.addr
        env["VAULT_TOKEN"] = "root"
        env["HOME"] = self.tmp
        env["INHERITED"] = "from-parent"
        env["DB_PASSWORD"] = "overridden-by-coffer"
        return env

    def argv(self, flags, mode="0", names=()):
        return ([BIN, "run"] + list(flags) +
                ["--", sys.executable, self.child, self.marker, mode] +
                list(names))

    def run_coffer(self, flags, mode="0", names=()):
        p = subprocess.run(self.argv(flags, mode, names), env=self.env(),
                           cwd=self.tmp, capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_variables_reach_the_child_and_not_the_disk(self):
        envfile = os.path.join(self.tmp, "app.env.tpl")
        with open(envfile, "w") as f:
            f.write("# the app\n\nexport API_KEY=kv1/api\n"
                    "DB_USER = secret/data/app#user\n"
                    "MODE=literal:production\n")
        names = ["DB_PASSWORD", "DB_PORT", "API_KEY", "DB_USER", "MODE",
                 "INHERITED"]
        code, out, err = self.run_coffer(
            ["-env", "DB_PASSWORD=secret/data/app#password",
             "-env=DB_PORT=secret/data/app#port", "-env-file", envfile],
            names=names)
        self.assertEqual(code, 0, err)
        seen = json.loads(out)
        self.assertEqual(seen["env"], {
            "DB_PASSWORD": PASSWORD, "DB_PORT": "5432", "API_KEY": API_KEY,
            "DB_USER": "svc", "MODE": "production",
            "INHERITED": "from-parent"})
        self.assertEqual(seen["found"], [])
        self.assertNotIn(PASSWORD, out.replace(json.dumps(PASSWORD), ""))
        self.assertNotIn(PASSWORD, err)

    def test_clean_env(self):
        code, out, err = self.run_coffer(
            ["-clean-env", "-env", "DB_PASSWORD=secret/data/app#password"],
            names=["DB_PASSWORD", "INHERITED"])
        self.assertEqual(code, 0, err)
        seen = json.loads(out)
        self.assertEqual(seen["env"]["DB_PASSWORD"], PASSWORD)
        self.assertIsNone(seen["env"]["INHERITED"])
        # Python may add LC_CTYPE on its own; nothing of ours leaks in.
        self.assertTrue(set(seen["keys"]) <=
                        {"PATH", "DB_PASSWORD", "LC_CTYPE"}, seen["keys"])

    def test_exit_code_passes_through(self):
        code, out, err = self.run_coffer(
            ["-env", "X=secret/data/app#user"], mode="7")
        self.assertEqual(code, 7, err)
        self.assertTrue(os.path.exists(self.marker))

    def start_waiting(self, mode):
        p = subprocess.Popen(self.argv(["-env", "X=secret/data/app#user"],
                                       mode),
                             env=self.env(), cwd=self.tmp,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while not os.path.exists(self.marker) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # let the child install its handler
        self.assertTrue(os.path.exists(self.marker))
        return p

    def test_sigterm_is_passed_to_the_child(self):
        p = self.start_waiting("wait")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=30), 42)
        with open(self.marker) as f:
            self.assertEqual(f.read(), "got %d" % signal.SIGTERM)
        p.stdout.close()
        p.stderr.close()

    def test_child_killed_by_signal(self):
        p = self.start_waiting("wait-default")
        p.send_signal(signal.SIGTERM)
        # As a shell reports it: 128 + the signal number.
        self.assertEqual(p.wait(timeout=30), 128 + signal.SIGTERM)
        p.stdout.close()
        p.stderr.close()

    def test_unresolvable_references_never_start_the_child(self):
        cases = [
            (["-env", "X=secret/data/missing#password"], "no secret at"),
            (["-env", "X=secret/data/app#nope"], 'no field "nope"'),
            (["-env", "X=secret/data/app"], "holds 3 fields"),
            (["-env", "1X=secret/data/app#user"], "invalid variable name"),
            (["-env", "X=#user"], "invalid reference"),
            (["-env-file", os.path.join(self.tmp, "absent.env")],
             "absent.env"),
            # One good and one bad reference: still nothing starts.
            (["-env", "A=secret/data/app#user", "-env",
              "B=kv1/missing#x"], "no secret at kv1/missing"),
        ]
        for flags, why in cases:
            code, out, err = self.run_coffer(flags)
            self.assertEqual(code, 1, (flags, err))
            self.assertIn(why, err)
            self.assertNotIn(PASSWORD, err)
            self.assertFalse(os.path.exists(self.marker), flags)

    def test_bad_token_never_starts_the_child(self):
        env = self.env()
        env["VAULT_TOKEN"] = "wrong"
        p = subprocess.run(self.argv(["-env", "X=secret/data/app#user"]),
                           env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("permission denied", p.stderr)
        self.assertFalse(os.path.exists(self.marker))

    def test_command_not_found(self):
        p = subprocess.run([BIN, "run", "-env", "X=secret/data/app#user",
                            "--", os.path.join(self.tmp, "no-such-cmd")],
                           env=self.env(), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 127)
        self.assertIn("no-such-cmd", p.stderr)


if __name__ == "__main__":
    main()
