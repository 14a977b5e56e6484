/**
 * The schema, as an ordered list of migrations. Migration `i` takes the database from
 * `user_version` i to i+1; a released migration is never edited, only followed by a new one.
 *
 * Foreign keys are a safety net for the GC in `image/`: a layer cannot be deleted while an image
 * names it as top layer or another layer names it as parent.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE layers (
    id TEXT PRIMARY KEY,
    parent TEXT REFERENCES layers(id),
    diff_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    diff_size INTEGER NOT NULL,
    whiteout_format TEXT NOT NULL,
    created TEXT NOT NULL
  ) STRICT;
  CREATE INDEX layers_parent ON layers(parent);
  CREATE INDEX layers_digest ON layers(digest);

  CREATE TABLE images (
    id TEXT PRIMARY KEY,
    top_layer TEXT REFERENCES layers(id),
    digest TEXT NOT NULL,
    manifest_media_type TEXT NOT NULL,
    config_size INTEGER NOT NULL,
    manifest_size INTEGER NOT NULL,
    size INTEGER NOT NULL,
    created TEXT NOT NULL,
    loaded TEXT NOT NULL,
    labels TEXT NOT NULL
  ) STRICT;
  CREATE INDEX images_digest ON images(digest);
  CREATE INDEX images_top_layer ON images(top_layer);

  -- rowid order is the order names were added (a moved name is re-inserted, so goes last).
  CREATE TABLE names (
    name TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX names_image ON names(image_id);

  CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    created TEXT NOT NULL
  ) STRICT;

  CREATE TABLE lease_layers (
    lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
    layer_id TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
    PRIMARY KEY (lease_id, layer_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX lease_layers_layer ON lease_layers(layer_id);
  `,
];

/** The `user_version` a database has once every migration ran. */
export const SCHEMA_VERSION = MIGRATIONS.length;
