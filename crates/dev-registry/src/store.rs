//! Subjects, versions and schema ids, kept in memory and optionally in a JSON file.
//!
//! The rules follow Confluent Schema Registry: ids are global and a schema registered twice
//! (under one subject or several) gets the same id; versions count up per subject and keep
//! counting after a soft delete; a schema's references name other subjects' versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::RegistryError;

/// How deep references may nest before the registry refuses a schema.
const MAX_REFERENCE_DEPTH: usize = 32;

/// A reference from a schema to a named type defined under another subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The full name of the referenced type, as the referring schema uses it.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version of that subject.
    pub version: u32,
}

/// The language of a schema, as Confluent's `schemaType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaKind {
    /// `AVRO` (the default, and absent from answers as in Confluent's).
    #[default]
    Avro,
    /// `PROTOBUF`: `.proto` text, or the base64 of a serialized `FileDescriptorProto`.
    Protobuf,
    /// `JSON`: a JSON Schema document.
    Json,
}

impl SchemaKind {
    /// The kind `schemaType` names (absent: Avro); None for any other type.
    pub fn parse(schema_type: Option<&str>) -> Option<Self> {
        match schema_type {
            None | Some("AVRO") => Some(SchemaKind::Avro),
            Some("PROTOBUF") => Some(SchemaKind::Protobuf),
            Some("JSON") => Some(SchemaKind::Json),
            Some(_) => None,
        }
    }
}

/// A schema as stored: its id, its text as registered, and its references.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSchema {
    /// The global id.
    pub id: u32,
    /// Its language.
    #[serde(default)]
    pub kind: SchemaKind,
    /// The schema text as it was first registered.
    pub schema: String,
    /// The references it was registered with.
    pub references: Vec<Reference>,
    /// The identity used to find an equal schema: compact JSON with sorted keys, plus references.
    key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredVersion {
    version: u32,
    id: u32,
    deleted: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredSubject {
    versions: Vec<StoredVersion>,
}

impl StoredSubject {
    fn live(&self) -> impl Iterator<Item = &StoredVersion> {
        self.versions.iter().filter(|v| !v.deleted)
    }
}

/// One version of a subject, as the REST API returns it.
#[derive(Debug, Clone)]
pub struct SubjectVersion<'a> {
    /// The subject.
    pub subject: String,
    /// The version number within the subject.
    pub version: u32,
    /// The schema registered as that version.
    pub schema: &'a StoredSchema,
}

/// Which version of a subject a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    /// The highest live version.
    Latest,
    /// A version number.
    Number(u32),
}

impl VersionSelector {
    /// Parses `latest`, `-1` or a positive version number.
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        match text {
            "latest" | "-1" => Ok(Self::Latest),
            _ => match text.parse::<u32>() {
                Ok(n) if n > 0 => Ok(Self::Number(n)),
                _ => Err(RegistryError::invalid_version(text)),
            },
        }
    }
}

/// The registry's whole state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    schemas: Vec<StoredSchema>,
    subjects: BTreeMap<String, StoredSubject>,
    #[serde(skip)]
    file: Option<PathBuf>,
}

impl Store {
    /// An empty store kept in memory only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A store kept in `path`: loaded from it when it exists, written back after every change.
    pub fn open(path: &Path) -> Result<Self, std::io::Error> {
        let mut store = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice::<Store>(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("state file {} is not valid: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Store::default(),
            Err(e) => return Err(e),
        };
        store.file = Some(path.to_path_buf());
        Ok(store)
    }

    fn persist(&self) -> Result<(), RegistryError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let write = || -> std::io::Result<()> {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, serde_json::to_vec(self)?)?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| RegistryError::store(format!("writing {}: {e}", path.display())))
    }

    /// Registers the Avro `schema` under `subject`, or returns the version it already has
    /// there.
    pub fn register(
        &mut self,
        subject: &str,
        schema: &str,
        references: Vec<Reference>,
    ) -> Result<SubjectVersion<'_>, RegistryError> {
        self.register_kind(subject, SchemaKind::Avro, schema, references)
    }

    /// Registers `schema` of `kind` under `subject`, or returns the version it already has
    /// there.
    pub fn register_kind(
        &mut self,
        subject: &str,
        kind: SchemaKind,
        schema: &str,
        references: Vec<Reference>,
    ) -> Result<SubjectVersion<'_>, RegistryError> {
        self.validate(kind, schema, &references)?;
        let key = identity_key(kind, schema, &references)?;
        if let Some(version) = self.find_in_subject(subject, &key) {
            return self.version(subject, VersionSelector::Number(version));
        }
        let id = match self.schemas.iter().find(|s| s.key == key) {
            Some(existing) => existing.id,
            None => {
                let id = self.next_id();
                self.schemas.push(StoredSchema {
                    id,
                    kind,
                    schema: schema.trim().to_owned(),
                    references,
                    key,
                });
                id
            }
        };
        let entry = self.subjects.entry(subject.to_owned()).or_default();
        let version = entry.versions.last().map_or(1, |v| v.version + 1);
        entry.versions.push(StoredVersion {
            version,
            id,
            deleted: false,
        });
        self.persist()?;
        self.version(subject, VersionSelector::Number(version))
    }

    /// Finds the live version of `subject` whose schema equals `schema`.
    pub fn lookup(
        &self,
        subject: &str,
        kind: SchemaKind,
        schema: &str,
        references: &[Reference],
    ) -> Result<SubjectVersion<'_>, RegistryError> {
        self.live_subject(subject)?;
        let key = identity_key(kind, schema, references)?;
        match self.find_in_subject(subject, &key) {
            Some(version) => self.version(subject, VersionSelector::Number(version)),
            None => Err(RegistryError::schema_not_found()),
        }
    }

    /// The schema with global id `id`.
    pub fn schema(&self, id: u32) -> Result<&StoredSchema, RegistryError> {
        self.schemas
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(RegistryError::schema_not_found)
    }

    /// The (subject, version) pairs that use schema `id`.
    pub fn versions_of_schema(&self, id: u32) -> Result<Vec<(String, u32)>, RegistryError> {
        self.schema(id)?;
        Ok(self
            .subjects
            .iter()
            .flat_map(|(name, s)| {
                s.live()
                    .filter(|v| v.id == id)
                    .map(|v| (name.clone(), v.version))
            })
            .collect())
    }

    /// Subject names, with soft-deleted ones when `deleted` is set.
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, s)| deleted || s.live().next().is_some())
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The live version numbers of `subject`.
    pub fn version_numbers(&self, subject: &str) -> Result<Vec<u32>, RegistryError> {
        Ok(self
            .live_subject(subject)?
            .live()
            .map(|v| v.version)
            .collect())
    }

    /// One live version of `subject`.
    pub fn version(
        &self,
        subject: &str,
        selector: VersionSelector,
    ) -> Result<SubjectVersion<'_>, RegistryError> {
        let stored = self.live_subject(subject)?;
        let found = match selector {
            VersionSelector::Latest => stored.live().last(),
            VersionSelector::Number(n) => stored.live().find(|v| v.version == n),
        };
        let found = found.ok_or_else(|| RegistryError::version_not_found(subject, selector))?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: found.version,
            schema: self.schema(found.id)?,
        })
    }

    /// Soft-deletes every live version of `subject`, or removes it for good when `permanent`.
    pub fn delete_subject(
        &mut self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<u32>, RegistryError> {
        let stored = self
            .subjects
            .get_mut(subject)
            .ok_or_else(|| RegistryError::subject_not_found(subject))?;
        let deleted = if permanent {
            let versions = stored.versions.iter().map(|v| v.version).collect();
            self.subjects.remove(subject);
            versions
        } else {
            let mut versions = Vec::new();
            for v in stored.versions.iter_mut().filter(|v| !v.deleted) {
                v.deleted = true;
                versions.push(v.version);
            }
            if versions.is_empty() {
                return Err(RegistryError::subject_not_found(subject));
            }
            versions
        };
        self.persist()?;
        Ok(deleted)
    }

    /// Soft-deletes one version of `subject`.
    pub fn delete_version(
        &mut self,
        subject: &str,
        selector: VersionSelector,
    ) -> Result<u32, RegistryError> {
        let number = self.version(subject, selector)?.version;
        if let Some(stored) = self.subjects.get_mut(subject) {
            for v in stored.versions.iter_mut().filter(|v| v.version == number) {
                v.deleted = true;
            }
        }
        self.persist()?;
        Ok(number)
    }

    fn live_subject(&self, subject: &str) -> Result<&StoredSubject, RegistryError> {
        self.subjects
            .get(subject)
            .filter(|s| s.live().next().is_some())
            .ok_or_else(|| RegistryError::subject_not_found(subject))
    }

    fn find_in_subject(&self, subject: &str, key: &str) -> Option<u32> {
        let stored = self.subjects.get(subject)?;
        stored
            .live()
            .find(|v| self.schema(v.id).is_ok_and(|s| s.key == key))
            .map(|v| v.version)
    }

    fn next_id(&self) -> u32 {
        self.schemas.iter().map(|s| s.id).max().unwrap_or(0) + 1
    }

    /// Parses `schema` as Avro, or compiles it as Protobuf, with the schemas its references
    /// name, transitively.
    fn validate(
        &self,
        kind: SchemaKind,
        schema: &str,
        references: &[Reference],
    ) -> Result<(), RegistryError> {
        let mut dependencies = Vec::new();
        self.collect_references(references, 0, &mut dependencies)?;
        match kind {
            SchemaKind::Avro => {
                let texts = dependencies.iter().map(|(_, s)| s.schema.as_str());
                apache_avro::Schema::parse_str_with_list(schema, texts)
                    .map(drop)
                    .map_err(|e| RegistryError::invalid_schema(format!("Invalid schema: {e}")))
            }
            SchemaKind::Protobuf => {
                let imports: Vec<(String, String)> = dependencies
                    .iter()
                    .map(|(name, s)| (name.clone(), s.schema.clone()))
                    .collect();
                inlet_protobuf::ProtoSchema::compile(schema, &imports)
                    .map(drop)
                    .map_err(|e| RegistryError::invalid_schema(format!("Invalid schema: {e}")))
            }
            // A JSON Schema is an object or a boolean; its $refs are not followed here.
            SchemaKind::Json => match serde_json::from_str::<serde_json::Value>(schema) {
                Ok(serde_json::Value::Object(_) | serde_json::Value::Bool(_)) => Ok(()),
                Ok(_) => Err(RegistryError::invalid_schema(
                    "Invalid schema: a JSON Schema is an object or a boolean",
                )),
                Err(e) => Err(RegistryError::invalid_schema(format!(
                    "Invalid schema: not JSON: {e}"
                ))),
            },
        }
    }

    fn collect_references<'a>(
        &'a self,
        references: &[Reference],
        depth: usize,
        out: &mut Vec<(String, &'a StoredSchema)>,
    ) -> Result<(), RegistryError> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(RegistryError::invalid_schema(format!(
                "Invalid schema: references nest deeper than {MAX_REFERENCE_DEPTH} levels"
            )));
        }
        for reference in references {
            let found = self
                .version(
                    &reference.subject,
                    VersionSelector::Number(reference.version),
                )
                .map_err(|_| {
                    RegistryError::invalid_schema(format!(
                        "Invalid schema: reference {} points to subject '{}' version {}, which does not exist",
                        reference.name, reference.subject, reference.version
                    ))
                })?;
            if out.iter().any(|(_, s)| s.id == found.schema.id) {
                continue;
            }
            self.collect_references(&found.schema.references, depth + 1, out)?;
            out.push((reference.name.clone(), found.schema));
        }
        Ok(())
    }
}

/// The identity of a schema for "is it already registered": Avro's JSON, compact, keys
/// sorted; a Protobuf schema's text, trimmed; then its references.
fn identity_key(
    kind: SchemaKind,
    schema: &str,
    references: &[Reference],
) -> Result<String, RegistryError> {
    let text = match kind {
        SchemaKind::Avro => serde_json::from_str::<serde_json::Value>(schema)
            .map_err(|e| RegistryError::invalid_schema(format!("Invalid schema: not JSON: {e}")))?
            .to_string(),
        SchemaKind::Json => format!(
            "JSON:{}",
            serde_json::from_str::<serde_json::Value>(schema).map_err(|e| {
                RegistryError::invalid_schema(format!("Invalid schema: not JSON: {e}"))
            })?
        ),
        SchemaKind::Protobuf => format!("PROTOBUF:{}", schema.trim()),
    };
    let refs: Vec<String> = references
        .iter()
        .map(|r| format!("{}={}@{}", r.name, r.subject, r.version))
        .collect();
    Ok(format!("{text}|{}", refs.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;

    fn reference(subject: &str) -> Reference {
        Reference {
            name: "acme.User".into(),
            subject: subject.into(),
            version: 1,
        }
    }

    #[test]
    fn same_schema_same_id_across_subjects_and_whitespace() {
        let mut store = Store::in_memory();
        let a = store.register("a", USER, vec![]).unwrap().schema.id;
        let spaced = USER.replace(',', ", ");
        let again = store.register("a", &spaced, vec![]).unwrap();
        assert_eq!((again.schema.id, again.version), (a, 1));
        let b = store.register("b", USER, vec![]).unwrap();
        assert_eq!((b.schema.id, b.version), (a, 1));
    }

    #[test]
    fn versions_count_up_and_survive_soft_delete() {
        let mut store = Store::in_memory();
        store.register("s", r#""string""#, vec![]).unwrap();
        store.register("s", r#""long""#, vec![]).unwrap();
        assert_eq!(store.version_numbers("s").unwrap(), vec![1, 2]);
        assert_eq!(store.delete_subject("s", false).unwrap(), vec![1, 2]);
        assert_eq!(
            store.version_numbers("s").unwrap_err().code(),
            40401,
            "a soft-deleted subject is not found"
        );
        let v = store.register("s", r#""int""#, vec![]).unwrap();
        assert_eq!(v.version, 3);
    }

    #[test]
    fn references_resolve_and_missing_ones_are_invalid() {
        let mut store = Store::in_memory();
        store.register("user", USER, vec![]).unwrap();
        let order = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"by","type":"acme.User"}]}"#;
        let err = store.register("order", order, vec![]).unwrap_err();
        assert_eq!(err.code(), 42201, "{err:?}");
        let ok = store
            .register("order", order, vec![reference("user")])
            .unwrap();
        assert_eq!(ok.schema.references, vec![reference("user")]);
        let err = store
            .register("order2", order, vec![reference("nobody")])
            .unwrap_err();
        assert!(err.message().contains("nobody"), "{err:?}");
    }

    #[test]
    fn invalid_avro_is_42201() {
        let mut store = Store::in_memory();
        let err = store
            .register("s", r#"{"type":"record","name":"R"}"#, vec![])
            .unwrap_err();
        assert_eq!(err.code(), 42201);
        assert!(store.subjects(true).is_empty(), "nothing was stored");
    }

    #[test]
    fn state_file_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("inlet-dev-registry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        let id = Store::open(&path)
            .unwrap()
            .register("s", USER, vec![])
            .unwrap()
            .schema
            .id;
        let reopened = Store::open(&path).unwrap();
        assert_eq!(
            reopened
                .version("s", VersionSelector::Latest)
                .unwrap()
                .schema
                .id,
            id
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
