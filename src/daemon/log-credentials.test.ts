// No credentials in the daemon log: `isula login` through a daemon logging at TRACE, against the
// real registry with basic auth, then the log is searched for the password and its base64 forms.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, test } from "node:test";
import { startRegistry } from "../../test/helpers/registry-harness.ts";
import { daemonDirs, ISULA_BIN, killAll, readLog, startReady } from "./isulad-testing.ts";

after(killAll);

test("a login through the daemon at log level TRACE leaves no credential in the log", async (t) => {
  const reg = await startRegistry("basic");
  t.after(() => reg.stop());
  const dirs = daemonDirs({ "insecure-registries": [reg.host] });
  t.after(dirs.cleanup);
  const env = { ...process.env, HOME: dirs.root };
  const d = await startReady(dirs, ["-l", "TRACE"], env);
  const { username, password } = reg.credentials ?? assert.fail("basic mode has credentials");

  const login = spawnSync(ISULA_BIN, ["login", "-u", username, "-p", password, reg.host], {
    encoding: "utf8",
    env: { ...env, ISULAD_HOST: `unix://${dirs.socket}` },
  });
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stderr, /Login Succeeded/);
  d.child.kill("SIGTERM");
  assert.equal(await d.exited, 0);

  const log = readLog(dirs);
  assert.match(log, /TRACE isulad: request login server=/, "the login was logged");
  const secrets = [
    password,
    Buffer.from(`${username}:${password}`).toString("base64"),
    Buffer.from(password).toString("base64"),
  ];
  for (const s of secrets) assert.ok(!log.includes(s), `log holds "${s}"`);
});
