// The CLI suite test/cli/docker-credentials.test.ts again, with every command going through a
// daemon (issue #4: one suite, both modes). The harness reads the mode when it is imported.
process.env.ISULA_TEST_MODE = "daemon";
await import("../cli/docker-credentials.test.ts");
