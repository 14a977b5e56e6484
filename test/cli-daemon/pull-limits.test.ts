// The CLI suite test/cli/pull-limits.test.ts again, with every command going through a daemon
// (issue #4: one suite, both modes). The harness reads the mode when the suite is imported.
process.env.ISULA_TEST_MODE = "daemon";
await import("../cli/pull-limits.test.ts");
