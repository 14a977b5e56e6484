// The CLI suite test/cli/interrupt.test.ts again through a daemon (issue #6): the client's
// SIGINT/SIGTERM cancels its call, and the daemon aborts the load or import it was running.
process.env.ISULA_TEST_MODE = "daemon";
await import("../cli/interrupt.test.ts");
