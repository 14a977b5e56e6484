// The CLI suite test/cli/push-search.test.ts again, with every command going through a daemon
// (push streams its progress over the Push RPC; search is the Search RPC).
process.env.ISULA_TEST_MODE = "daemon";
await import("../cli/push-search.test.ts");
