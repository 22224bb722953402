"""Tables of the local database, built from the domain's kind descriptions.

Alembic migrations in db/ create the same tables; a test compares the two, so a field added to the
domain without a migration fails the suite.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from ..domain.fields import FieldType, KindSpec
from ..domain.kinds import KINDS
from .search import natural_fields

metadata = MetaData()

# Kinds with their own full-text index (rowid = the record's row_no); tandems search through theirs.
FTS_KINDS = ("structure", "counsellor", "mentor", "mentee")
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
# (Migration 0006 gives the full-text tables prefix indexes for one- and two-letter words.)


# What a list sorts by, kept in the row so the sort walks an index (no per-row function, no
# subquery, no temporary B-tree over every row): a text column's French key, and for a reference
# shown in a list the referenced record's title (label) and its key. rows.py keeps them right.
KEYED_TYPES = (FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.REF)
UNINDEXED_TYPES = (FieldType.LONG_TEXT, FieldType.LIST)  # sorted the slow way: short lists only


def key_column(name: str) -> str:
    """The stored French sort key of list column `name` (see search.column_key)."""
    return f"{name}__key"


def label_column(name: str) -> str:
    """The stored title of the record a reference column points at (what the list shows)."""
    return f"{name}__label"


def natural_column(spec: KindSpec) -> str | None:
    """The list column the natural order starts with (people's last name…): a sort on it walks the
    natural order's index (sort_key), with no key or index of its own. None for tandems (live first)."""
    return None if spec.last_statuses else natural_fields(spec)[0]


def keyed_columns(spec: KindSpec) -> tuple[str, ...]:
    """List columns sorted by a stored key: texts and references (their label's key)."""
    return tuple(n for n in spec.list_columns if spec.by_name[n].type in KEYED_TYPES and n != natural_column(spec))


def labelled_columns(spec: KindSpec) -> tuple[str, ...]:
    """Reference columns a list shows: their label is stored beside the id."""
    return tuple(n for n in spec.list_columns if spec.by_name[n].ref)


def sort_column(spec: KindSpec, name: str) -> str | None:
    """The stored column a sort on list column `name` walks (None: no index, sorted per query)."""
    kind = spec.by_name[name].type
    if name == natural_column(spec):
        return "sort_key"
    if kind in UNINDEXED_TYPES:
        return None
    return key_column(name) if kind in KEYED_TYPES else name


def _column(field_type: FieldType, name: str) -> Column:
    if field_type is FieldType.INT:
        return Column(name, Integer)
    if field_type is FieldType.BOOL:
        return Column(name, Boolean(create_constraint=False))
    if field_type is FieldType.REF:
        return Column(name, String(36))
    return Column(name, Text)  # text, dates (ISO), choices, lists (JSON)


def _record_table(spec: KindSpec) -> Table:
    columns = [
        Column("row_no", Integer, primary_key=True),  # local only; stable rowid for the FTS index
        Column("id", String(36), nullable=False, unique=True),  # the synced UUIDv7
        *(_column(f.type, f.name) for f in spec.fields),
        Column("sort_key", Text, nullable=False, server_default=""),
        *(Column(label_column(name), Text) for name in labelled_columns(spec)),
        *(Column(key_column(name), Text) for name in keyed_columns(spec)),
        Column("deleted", Boolean(create_constraint=False), nullable=False, server_default="0"),
        Column("erased", Text),  # JSON erasure marker (domain/erasure.py), None for a record never erased
        Column("versions", Text, nullable=False, server_default="{}"),  # field -> HLC stamp of last write
        Column("created_hlc", Text, nullable=False),
        Column("updated_hlc", Text, nullable=False),
    ]
    table = Table(spec.name, metadata, *columns)
    Index(f"ix_{spec.name}_live_sort", table.c.deleted, table.c.sort_key)
    for field in spec.fields:  # (field, deleted): a filter counts its live rows from the index alone
        if field.type is FieldType.REF or field.name in (spec.status_field, spec.commune_field):
            Index(f"ix_{spec.name}_{field.name}", table.c[field.name], table.c.deleted)
    for name in spec.list_columns:
        column = sort_column(spec, name)
        if column not in (None, "sort_key"):  # (deleted, key, sort_key): a sorted page is the index's first rows
            Index(f"ix_{spec.name}_by_{name}", table.c.deleted, table.c[column], table.c.sort_key)
    return table


RECORD_TABLES: dict[str, Table] = {name: _record_table(spec) for name, spec in KINDS.items()}

# One row per write of one record; each entry of `changes` is one field-level operation
# (field -> new value) and `base_versions` gives, per field, the HLC stamp of the value it replaces
# (absent for a field that had none). Grouping the operations of one write keeps the log compact
# (a 20-field create is one row, not twenty) while merges still work field by field.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("op_id", String(36), nullable=False),  # UUIDv7 of the write; (op_id, field) names one operation
    Column("action", String(8), nullable=False),  # create, update, delete
    Column("kind", String(20), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("changes", Text, nullable=False),  # JSON object field -> new value
    Column("base_versions", Text, nullable=False),  # JSON object field -> previous version
    Column("device_id", String(36), nullable=False),
    Column("hlc", Text, nullable=False),
)

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)


def fts_table(kind: str) -> str:
    return f"{kind}_fts"

# Sync bookkeeping (migration 0002_sync). Conflicts come from the hub's feed (id = the hub's conflict
# id) or from a refused push (id = the refused operation's id, conflict_type "refused"); values are JSON.
sync_conflicts = Table(
    "sync_conflicts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", Integer),  # hub seq of the feed entry; None for a refused push
    Column("conflict_type", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("field", String(40)),
    Column("kept_value", Text),
    Column("kept_version", Text),
    Column("lost_value", Text),
    Column("lost_version", Text),
    Column("kept_device", String(36)),
    Column("lost_device", String(36)),
    Column("message", Text),  # the hub's French reason for a refused operation
    Column("received_at", Text, nullable=False),
    Column("resolved", Boolean(create_constraint=False), nullable=False, server_default="0"),
    Column("resolved_at", Text),
)
Index("ix_sync_conflicts_open", sync_conflicts.c.resolved, sync_conflicts.c.received_at)

# Hub-wide invariant breaches (a mentor overbooked across structures), as the hub reported them.
sync_flags = Table(
    "sync_flags",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", Integer),
    Column("type", String(40), nullable=False),
    Column("mentor_id", String(36)),
    Column("capacity", Integer),
    Column("tandems", Integer),
    Column("data", Text, nullable=False),  # the whole flag as JSON
    Column("received_at", Text, nullable=False),
    Column("resolved", Boolean(create_constraint=False), nullable=False, server_default="0"),
)
Index("ix_sync_flags_mentor", sync_flags.c.mentor_id)

# Signed charters (migration 0004_charters): the sealed PDF itself lives here, in the encrypted
# database, never as a loose file in the profile. From migration 0012_charter_sync they travel through
# the hub's charter feed and blobs (PROTOCOL.md, "Charters and attachments"; sync/attachments.py).
# `hub_status` of a charter made here: 'local' (to announce), 'announced' (metadata at the hub, files
# to upload), 'synced' (nothing left to send), 'refused' (`hub_message` says why, in French); of a
# charter `received` from the hub: 'waiting' (a file not at the hub yet) or 'synced' (files fetchable).
charters = Table(
    "charters",
    metadata,
    Column("id", String(36), primary_key=True),  # UUIDv7, also printed in the PDF footer and QR code
    Column("tandem_id", String(36), nullable=False),
    Column("template_id", String(60), nullable=False),
    Column("template_version", String(20), nullable=False),
    Column("verification_code", String(20), nullable=False),
    Column("mode", String(8), nullable=False),  # "screen" (drawn and sealed) or "ink" (printed, signed by hand)
    Column("pdf", LargeBinary),  # None: a charter received from the hub whose file has not arrived yet
    Column("sha256", String(64), nullable=False),  # of `pdf`, to recognise a file brought back for checking
    Column("signed_on", String(10), nullable=False),  # ISO date
    Column("signed_place", Text),
    Column("scan", LargeBinary),  # the scanned ink-signed charter (PDF or image), if any
    Column("scan_name", Text),
    Column("sealed_by", Text),  # the seal certificate's subject; None for ink
    Column("self_signed", Boolean(create_constraint=False)),  # sealed before enrollment; None for ink
    Column("created_at", Text, nullable=False),  # ISO UTC timestamp
    Column("pdf_size", Integer),
    Column("scan_sha256", String(64)),
    Column("scan_size", Integer),
    Column("scan_type", String(40)),  # media type: application/pdf, image/png, image/jpeg
    Column("device_id", String(36)),  # the device that made it; None for rows of releases before 0012
    Column("hub_status", String(12), nullable=False, server_default="local"),
    Column("hub_message", Text),
    Column("received", Boolean(create_constraint=False), nullable=False, server_default="0"),
)
Index("ix_charters_tandem", charters.c.tandem_id, charters.c.created_at)
Index("ix_charters_sha256", charters.c.sha256)

# Chunks of a charter file being downloaded (migration 0012_charter_sync): a cut download resumes
# from them; assembled into `charters` and deleted once the whole file checks out.
blob_parts = Table(
    "blob_parts",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# Imports (migration 0007_imports), local to this device. A batch lists what one import wrote, so it
# can be undone as a whole: `created` is {kind: [ids]}, `merged` is [[kind, id, {field: value before}]].
import_batches = Table(
    "import_batches",
    metadata,
    Column("id", String(36), primary_key=True),  # UUIDv7
    Column("kind", String(20), nullable=False),
    Column("file_name", Text, nullable=False),  # the file's name only, never its folder
    Column("created_at", Text, nullable=False),  # ISO UTC timestamp
    Column("counsellor_id", String(36)),
    Column("counts", Text, nullable=False),  # JSON {created, merged, skipped, refused}
    Column("created", Text, nullable=False),
    Column("merged", Text, nullable=False),
    Column("undone_at", Text),
)
Index("ix_import_batches_created", import_batches.c.created_at)

# Column mappings saved by a structure ("" for none) for one kind: {header as written: field name}.
import_templates = Table(
    "import_templates",
    metadata,
    Column("structure_id", String(36), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("name", String(80), primary_key=True),
    Column("columns", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

# Erasures made or received here (migration 0008_erasure): who erased which record, when and why,
# without anything personal — what remains of a person once erased.
erasures = Table(
    "erasures",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("erased_on", String(10), nullable=False),  # ISO date of the marker
    Column("erased_at", Text, nullable=False),  # ISO UTC timestamp this device wrote or received it
    Column("counsellor_id", String(36)),  # who erased it, when this device did
    Column("device_id", String(36)),  # the device that erased it (None: received from the hub)
    Column("linked", Integer, nullable=False, server_default="0"),  # tandems and meetings cleared with it
)
Index("ix_erasures_at", erasures.c.erased_at)

# History of records (migration 0009_history, store/history.py): one row per write of a record, with
# {field: [old, new]}. `id` is the write's op id; `hub_seq` is set once the row comes from the hub's
# history (GET /v1/history), which is the same on every device.
history = Table(
    "history",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("hlc", Text, nullable=False),  # when (and the order): the write's stamp
    Column("action", String(12), nullable=False),  # create, update, delete, erase
    Column("changes", Text, nullable=False),  # JSON {field: [old, new]}; {} once erased
    Column("device_id", String(64)),
    Column("counsellor_id", String(36)),
    Column("who", Text),  # « Nadia Ferhat (poste-a) »: the counsellor and device, as the hub named them
    Column("hub_seq", Integer),
)
Index("ix_history_record", history.c.record_id, history.c.hlc)
