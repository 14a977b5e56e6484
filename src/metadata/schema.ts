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
  // 2: embedded images (issue #5, isulad-behaviour §7.3). One row per image; its one name is the
  // key. The triggers keep a name from being both an embedded image's and an OCI image's, across
  // processes, whatever code path writes it (the store checks first, with clearer messages).
  `
  CREATE TABLE embedded_images (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    manifest BLOB NOT NULL,
    created TEXT NOT NULL,
    size INTEGER NOT NULL,
    mount_string TEXT NOT NULL,
    loaded TEXT NOT NULL
  ) STRICT;
  CREATE INDEX embedded_images_id ON embedded_images(id);

  CREATE TRIGGER names_not_embedded BEFORE INSERT ON names
  WHEN EXISTS (SELECT 1 FROM embedded_images WHERE name = NEW.name)
  BEGIN SELECT RAISE(ABORT, 'image name is held by an embedded image'); END;

  CREATE TRIGGER embedded_not_names BEFORE INSERT ON embedded_images
  WHEN EXISTS (SELECT 1 FROM names WHERE name = NEW.name)
  BEGIN SELECT RAISE(ABORT, 'image name is held by an OCI image'); END;
  `,
];

/** The `user_version` a database has once every migration ran. */
export const SCHEMA_VERSION = MIGRATIONS.length;
