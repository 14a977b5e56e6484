// The CLI suite test/cli/maintenance.test.ts again, with every command going through a daemon
// (issue #7: history, import, prune and --format in both modes).
process.env.ISULA_TEST_MODE = "daemon";
await import("../cli/maintenance.test.ts");
