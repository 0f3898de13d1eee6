//! Whether PostgreSQL can store the rows of a table: at most 1,600 columns, and a row that
//! fits in a page once TOAST has done what it can.
//!
//! A heap row is a 23-byte header (with a null bitmap of a bit per column when a column
//! can be null), aligned to 8 bytes, then each column's value at its type's alignment.
//! Fixed-width types take their width whatever the value. A variable-width value (text,
//! varchar, bytea, jsonb, numeric, arrays) longer than 24 bytes is compressed or moved out
//! of line by TOAST, leaving at most 24 bytes in the row (an out-of-line pointer takes 18);
//! one of up to 24 bytes stays as it is. So the widest row a table can be asked to hold
//! has every column filled, the fixed ones at their width and each variable one at 24
//! bytes; PostgreSQL refuses a row wider than 8,160 bytes with `row is too big`.

use crate::mapping::TableColumn;
use crate::pg_type::PgType;
use crate::propose::MAX_TABLE_COLUMNS;

/// The most bytes of one row PostgreSQL stores (MaxHeapTupleSize with 8 kB pages).
pub const MAX_ROW_BYTES: usize = 8160;

/// The most bytes a variable-width value keeps in its row: longer ones are compressed or
/// moved out of line by TOAST (`MAXALIGN(TOAST_POINTER_SIZE)`, below which TOAST leaves a
/// value alone).
pub const MAX_INLINE_VARIABLE_BYTES: usize = 24;

/// A heap row's header before its null bitmap (`SizeofHeapTupleHeader`).
const ROW_HEADER_BYTES: usize = 23;

/// Why PostgreSQL could not store the rows of a table of some columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableTooWide {
    /// More columns than a table can have.
    #[error("{columns} columns, more than PostgreSQL's {MAX_TABLE_COLUMNS}")]
    Columns {
        /// How many there would be.
        columns: usize,
    },
    /// A row filled in every column would not fit in a page.
    #[error(
        "rows of up to {bytes} bytes ({fixed} columns of fixed width take {fixed_bytes} bytes, and each of {variable} of variable width keeps up to {MAX_INLINE_VARIABLE_BYTES} once TOAST moved longer values out of line), more than the {MAX_ROW_BYTES} bytes PostgreSQL stores of a row"
    )]
    Row {
        /// The widest row, in bytes (header included): [`widest_row`].
        bytes: usize,
        /// Columns of fixed-width types.
        fixed: usize,
        /// The bytes they take in a row, alignment included.
        fixed_bytes: usize,
        /// Columns of variable-width types.
        variable: usize,
    },
}

impl inlet_fault::Classify for TableTooWide {
    /// Whose fault it is: the schema or the table design, which the user chose.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

/// A type's (width, alignment) in a row; width `None` for a variable-width type.
fn layout(pg: &PgType) -> (Option<usize>, usize) {
    match pg.base() {
        PgType::Bool => (Some(1), 1),
        PgType::Int2 => (Some(2), 2),
        PgType::Int4 | PgType::Float4 | PgType::Date | PgType::Enum { .. } => (Some(4), 4),
        PgType::Int8 | PgType::Float8 | PgType::Time | PgType::Timestamp | PgType::Timestamptz => {
            (Some(8), 8)
        }
        PgType::Interval => (Some(16), 8),
        PgType::Uuid => (Some(16), 1),
        PgType::Numeric { .. }
        | PgType::Text
        | PgType::Varchar(_)
        | PgType::Bytea
        | PgType::Jsonb
        | PgType::Array(_)
        | PgType::Domain { .. } => (None, 4),
    }
}

fn align(offset: usize, to: usize) -> usize {
    offset.div_ceil(to) * to
}

/// The widest row of a table of `columns`, in bytes as PostgreSQL counts a row (a multiple
/// of 8): the header (and null bitmap, when a column can be null) aligned to 8, then every
/// column filled,
/// each at its alignment, a variable-width one at [`MAX_INLINE_VARIABLE_BYTES`] (aligned to
/// 4, as a value TOAST keeps compressed in the row, with a 4-byte header, would be). An
/// upper bound of every row's size; exactly PostgreSQL's `row is too big: size …` for NOT
/// NULL columns of fixed width (a bitmap is only there when a value is null).
pub fn widest_row(columns: &[TableColumn]) -> usize {
    let bitmap = if columns.iter().any(|c| c.nullable) {
        columns.len().div_ceil(8)
    } else {
        0
    };
    let mut offset = 0;
    // Generated columns are stored too.
    for column in columns {
        let (width, alignment) = layout(&column.pg_type);
        offset = align(offset, alignment) + width.unwrap_or(MAX_INLINE_VARIABLE_BYTES);
    }
    // A row takes a multiple of 8 bytes in its page (what `row is too big` reports).
    align(align(ROW_HEADER_BYTES + bitmap, 8) + offset, 8)
}

/// Whether PostgreSQL can store every row of a table of `columns`: at most
/// [`MAX_TABLE_COLUMNS`] of them, and [`widest_row`] within [`MAX_ROW_BYTES`].
///
/// # Errors
/// [`TableTooWide`], which says by how much.
pub fn check_table_width(columns: &[TableColumn]) -> Result<(), TableTooWide> {
    if columns.len() > MAX_TABLE_COLUMNS {
        return Err(TableTooWide::Columns {
            columns: columns.len(),
        });
    }
    let bytes = widest_row(columns);
    if bytes <= MAX_ROW_BYTES {
        return Ok(());
    }
    let fixed: Vec<&TableColumn> = columns
        .iter()
        .filter(|c| layout(&c.pg_type).0.is_some())
        .collect();
    let fixed_bytes = fixed.iter().fold(0, |offset, c| {
        let (width, alignment) = layout(&c.pg_type);
        align(offset, alignment) + width.unwrap_or(0)
    });
    Err(TableTooWide::Row {
        bytes,
        fixed: fixed.len(),
        fixed_bytes,
        variable: columns.len() - fixed.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(types: &[(&str, usize)], nullable: bool) -> Vec<TableColumn> {
        types
            .iter()
            .flat_map(|(sql, n)| std::iter::repeat_n(*sql, *n))
            .enumerate()
            .map(|(i, sql)| TableColumn {
                name: format!("c{i}"),
                pg_type: PgType::parse(sql).unwrap(),
                nullable,
                has_default: false,
                generated: None,
            })
            .collect()
    }

    #[test]
    fn the_widest_row_is_counted_as_postgresql_counts_it() {
        // The schema: 1,500 NOT NULL doubles, `row is too big: size 12024`.
        assert_eq!(
            widest_row(&columns(&[("double precision", 1500)], false)),
            12024
        );
        // A null bitmap of 1,500 bits: 23 + 188 bytes, aligned to 216.
        assert_eq!(
            widest_row(&columns(&[("double precision", 1500)], true)),
            12216
        );
        // Alignment: a boolean then a bigint takes 16 bytes.
        assert_eq!(
            widest_row(&columns(&[("boolean", 1), ("bigint", 1)], false)),
            40
        );
        assert_eq!(widest_row(&columns(&[("text", 339)], false)), 24 + 339 * 24);
        assert!(check_table_width(&columns(&[("text", 339)], false)).is_ok());
        assert!(check_table_width(&columns(&[("text", 340)], false)).is_err());
        let Err(TableTooWide::Row {
            bytes,
            fixed,
            fixed_bytes,
            variable,
        }) = check_table_width(&columns(&[("double precision", 1500), ("text", 2)], false))
        else {
            panic!("not refused")
        };
        assert_eq!(
            (bytes, fixed, fixed_bytes, variable),
            (12072, 1500, 12000, 2)
        );
        assert_eq!(
            check_table_width(&columns(&[("integer", 5000)], false)),
            Err(TableTooWide::Columns { columns: 5000 })
        );
    }
}
