import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HistoryItem, PruneResult } from "../service/types.ts";
import { HistoryImageResponse, PruneImagesResponse } from "./gen/images.ts";
import { historyFromWire, historyToWire, pruneFromWire, pruneToWire } from "./wire-maintenance.ts";

describe("history and prune on the wire", () => {
  it("round-trips history items through the protobuf encoding", () => {
    const items: HistoryItem[] = [
      {
        id: "a".repeat(64),
        created: "2024-01-01T00:00:00Z",
        createdBy: "RUN x",
        size: 2 ** 40,
        comment: "c",
        emptyLayer: false,
      },
      { created: "", createdBy: "", size: 0, comment: "", emptyLayer: true },
    ];
    const bytes = HistoryImageResponse.encode({
      cc: 0,
      errmsg: "",
      items: historyToWire(items),
    }).finish();
    assert.deepEqual(historyFromWire(HistoryImageResponse.decode(bytes).items), items);
  });

  it("round-trips a prune report, keeping the order of its lines", () => {
    const report: PruneResult = {
      items: [
        { untagged: "a:1" },
        { untagged: `a@sha256:${"1".repeat(64)}` },
        { deleted: "b".repeat(64) },
      ],
      reclaimed: 123_456_789,
    };
    const bytes = PruneImagesResponse.encode({
      cc: 0,
      errmsg: "",
      ...pruneToWire(report),
    }).finish();
    const back = PruneImagesResponse.decode(bytes);
    assert.deepEqual(pruneFromWire(back.items, back.reclaimed), report);
  });
});
