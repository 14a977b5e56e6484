import type { GrpcMethod } from "./grpc-lite-client.ts";

/** A message codec as ts-proto generates it. */
interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** One method of a ts-proto `generic-definitions` service (src/daemon/gen-client). */
interface MethodDefinition<Req, Res> {
  name: string;
  requestType: MessageCodec<Req>;
  responseType: MessageCodec<Res>;
}

/** The `GrpcMethod` of each method of a service, under the same keys. */
export type LiteMethods<M> = {
  [K in keyof M]: M[K] extends MethodDefinition<infer Req, infer Res>
    ? GrpcMethod<Req, Res>
    : never;
};

/**
 * Turns a generated service definition (`ImagesServiceDefinition` of gen-client, which imports
 * no grpc-js) into the methods `GrpcLiteChannel` calls: path `/<package.Service>/<Method>` and
 * the message codecs. Pure; the result can be shared.
 */
export function liteMethods<M extends object>(service: {
  fullName: string;
  methods: M;
}): LiteMethods<M> {
  const out: Record<string, GrpcMethod<unknown, unknown>> = {};
  for (const [key, def] of Object.entries(service.methods)) {
    const codec = def as unknown as MethodDefinition<unknown, unknown>;
    out[key] = {
      path: `/${service.fullName}/${codec.name}`,
      requestSerialize: (value) => codec.requestType.encode(value).finish(),
      responseDeserialize: (bytes) => codec.responseType.decode(bytes),
    };
  }
  return out as LiteMethods<M>;
}
