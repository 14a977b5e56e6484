// The `isulad` entry point (bundled to dist/isulad.mjs): wires the process to `runIsulad` with
// the real gRPC server.
import { startGrpcServer } from "./grpc-server.ts";
import { runIsulad } from "./isulad-main.ts";

const code = await runIsulad(process.argv.slice(2), {
  startServer: startGrpcServer,
  io: { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
});
process.exit(code);
