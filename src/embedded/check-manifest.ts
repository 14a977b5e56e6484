import { imageError } from "../errors.ts";
import { normaliseName } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import {
  EMBEDDED_MANIFEST_MEDIA_TYPE,
  type EmbeddedManifest,
  MAX_LAYERS,
} from "./manifest-types.ts";
import { MSG } from "./messages.ts";

const CREATED_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * The manifest-wide rules of isulad-behaviour §7.1, in iSulad's order (`lim.c`): layer count,
 * schemaVersion, mediaType, imageName (present, not reserved, `name:tag`), created. Returns the
 * normalised image name (`docker.io/library/a:1` → `a:1`), the key it is stored under.
 * Throws `InvalidArgument` with iSulad's message for the first rule broken.
 */
export function checkManifest(m: EmbeddedManifest): string {
  if (m.layers.length < 1 || m.layers.length > MAX_LAYERS) fail(MSG.layerCount);
  if (m.schemaVersion !== 1) fail(MSG.schemaVersion);
  if (m.mediaType !== EMBEDDED_MANIFEST_MEDIA_TYPE) fail(MSG.mediaType);
  const name = checkImageName(m.imageName);
  if (!isValidCreated(m.created)) fail(MSG.created);
  return name;
}

/**
 * iSulad's embedded name rule: a valid reference with a tag and no digest, 255 characters at
 * most; `none` and `none:latest` are reserved (also when spelt `docker.io/library/none:latest`,
 * which normalises to it: our addition).
 */
function checkImageName(imageName: string | undefined): string {
  if (imageName === undefined) fail(MSG.nameMissing);
  if (imageName === "none" || imageName === "none:latest") fail(MSG.nameReserved);
  let name: string;
  try {
    const ref = parseReference(imageName);
    if (ref.tag === undefined || ref.digest !== undefined) fail(MSG.nameInvalid);
    name = normaliseName(imageName);
  } catch (err) {
    throw imageError("InvalidArgument", MSG.nameInvalid, err);
  }
  if (name === "none:latest") fail(MSG.nameReserved);
  return name;
}

/**
 * iSulad's format `YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|±HH:MM)`; unlike iSulad we also refuse
 * impossible dates and times (`2018-13-45T25:00:00Z`), which `isula images` could not show.
 */
export function isValidCreated(created: string | undefined): boolean {
  const m = created === undefined ? null : CREATED_RE.exec(created);
  if (m === null) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offH = 0, offM = 0] = m
    .slice(1)
    .map((s) => Number(s ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
  return dateOk && hour < 24 && minute < 60 && second < 60 && offH < 24 && offM < 60;
}

function fail(message: string): never {
  throw imageError("InvalidArgument", message);
}
