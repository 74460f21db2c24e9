//! Tables as a reducer sees them: `ctx.current.greetings()` is a
//! `Table<Greetings>` (with the generated index lookups beside it).

use core::marker::PhantomData;

use crate::codec::{from_bytes, to_bytes, Decode, Encode};
use crate::host;
use crate::status::Status;

/// A row type of a table (#[table] implements it).
pub trait TableRow: Encode + Decode + Sized {
    /// The primary key's type.
    type Key: Encode;
    /// The table's id in the schema (set when the table registers).
    fn table_id() -> i32;
    /// Sets the auto_inc column to what the node assigned (no-op without one).
    fn set_auto_inc(&mut self, _value: i64) {}
}

/// A table of rows `R`.
pub struct Table<R: TableRow> {
    _rows: PhantomData<R>,
}

impl<R: TableRow> Default for Table<R> {
    fn default() -> Self {
        Table { _rows: PhantomData }
    }
}

impl<R: TableRow> Table<R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts `row`; the stored row (its auto_inc column assigned when it
    /// was 0), or why not (DuplicateKey, QuotaExceeded, ReadOnly in a query).
    pub fn insert(&self, mut row: R) -> Result<R, Status> {
        let bytes = to_bytes(&row);
        let assigned = unsafe { host::table_insert(R::table_id(), bytes.as_ptr(), bytes.len() as i32) };
        if assigned < 0 {
            return Err(Status::from_code(-assigned));
        }
        if assigned > 0 {
            row.set_auto_inc(assigned);
        }
        Ok(row)
    }

    /// The row whose primary key is `key`.
    pub fn get(&self, key: &R::Key) -> Option<R> {
        let bytes = to_bytes(key);
        let length = unsafe { host::table_get(R::table_id(), bytes.as_ptr(), bytes.len() as i32) };
        if length < 0 {
            return None;
        }
        from_bytes(&host::read_result(length)).ok()
    }

    /// Replaces the row with `row`'s primary key (NotFound if none).
    pub fn update(&self, row: R) -> Result<(), Status> {
        let bytes = to_bytes(&row);
        let status = unsafe { host::table_update(R::table_id(), bytes.as_ptr(), bytes.len() as i32) };
        match Status::from_code(status as i64) {
            Status::Ok => Ok(()),
            other => Err(other),
        }
    }

    /// Deletes the row whose primary key is `key`; whether there was one.
    pub fn delete(&self, key: &R::Key) -> bool {
        let bytes = to_bytes(key);
        unsafe { host::table_delete(R::table_id(), bytes.as_ptr(), bytes.len() as i32) == 0 }
    }

    /// The number of rows.
    pub fn count(&self) -> u64 {
        unsafe { host::table_count(R::table_id()) }.max(0) as u64
    }

    /// Every row, in primary-key order.
    pub fn scan(&self) -> RowIter<R> {
        self.scan_index::<R::Key>(-1, None, None)
    }

    /// The rows with `lo <= key <= hi`, in primary-key order.
    pub fn range(&self, lo: &R::Key, hi: &R::Key) -> RowIter<R> {
        self.scan_index(-1, Some(lo), Some(hi))
    }

    /// The rows whose column of index `index` (-1: the primary key) is
    /// within the bounds given, in that index's order. The generated
    /// `find_by_<column>` and `range_by_<column>` call it.
    pub fn scan_index<V: Encode + ?Sized>(&self, index: i32, lo: Option<&V>, hi: Option<&V>) -> RowIter<R> {
        let lo_bytes = lo.map(to_bytes).unwrap_or_default();
        let hi_bytes = hi.map(to_bytes).unwrap_or_default();
        let flags = (lo.is_some() as i32) | ((hi.is_some() as i32) << 1);
        let iter = unsafe {
            host::table_scan(
                R::table_id(),
                index,
                lo_bytes.as_ptr(),
                lo_bytes.len() as i32,
                hi_bytes.as_ptr(),
                hi_bytes.len() as i32,
                flags,
            )
        };
        RowIter {
            iter,
            _rows: PhantomData,
        }
    }
}

/// Rows from a scan, decoded one at a time; the host walks its index
/// without copying the table. The iterator is released when dropped.
pub struct RowIter<R> {
    iter: i32,
    _rows: PhantomData<R>,
}

impl<R: Decode> Iterator for RowIter<R> {
    type Item = R;
    fn next(&mut self) -> Option<R> {
        if self.iter < 0 {
            return None;
        }
        let length = unsafe { host::iter_next(self.iter) };
        if length < 0 {
            return None;
        }
        from_bytes(&host::read_result(length)).ok()
    }
}

impl<R> Drop for RowIter<R> {
    fn drop(&mut self) {
        if self.iter >= 0 {
            unsafe { host::iter_close(self.iter) };
        }
    }
}
