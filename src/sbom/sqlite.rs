//! Just enough of the SQLite file format to read one column of a rowid
//! table: the header, `sqlite_schema` on page 1 for the table's root page,
//! table b-tree pages (interior and leaf), overflow chains and the record
//! format. The file is the image's: every page number, offset and length
//! is checked, each page is visited at most once (a cycle ends the walk),
//! and nothing is allocated beyond the file's own size.

use std::collections::HashSet;

type Result<T> = std::result::Result<T, String>;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
}

/// Column `column` (0-based, as declared; a rowid alias reads as NULL) of
/// every row of table `table`, in rowid order; rows whose column is not a
/// blob or text are left out.
pub fn table_column(bytes: &[u8], table: &str, column: usize) -> Result<Vec<Vec<u8>>> {
    if bytes.len() < 100 || &bytes[..16] != b"SQLite format 3\0" {
        return Err("not an SQLite 3 database".into());
    }
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n if n >= 512 && n.is_power_of_two() => n as usize,
        n => return Err(format!("bad page size {n}")),
    };
    let usable = page_size - bytes[20] as usize;
    if usable < 480 {
        return Err("bad reserved space".into());
    }
    let db = Db {
        bytes,
        page_size,
        usable,
    };
    // sqlite_schema: type, name, tbl_name, rootpage, sql.
    let mut root = None;
    for row in db.rows(1)? {
        let cols = record(&row)?;
        if let (Some(Value::Text(ty)), Some(Value::Text(name)), Some(Value::Int(page))) =
            (cols.first(), cols.get(1), cols.get(3))
            && *ty == b"table"
            && name.eq_ignore_ascii_case(table.as_bytes())
        {
            root = Some(*page);
        }
    }
    let root = root.ok_or_else(|| format!("no table `{table}`"))?;
    let root = usize::try_from(root).map_err(|_| "bad root page".to_string())?;
    let mut out = Vec::new();
    for row in db.rows(root)? {
        if let Some(Value::Blob(b) | Value::Text(b)) = record(&row)?.get(column) {
            out.push(b.to_vec());
        }
    }
    Ok(out)
}

enum Value<'a> {
    Null,
    Int(i64),
    Blob(&'a [u8]),
    Text(&'a [u8]),
}

/// A varint at the start of `b` and its length (1 to 9 bytes).
fn varint(b: &[u8]) -> Result<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..8 {
        let byte = *b.get(i).ok_or("truncated varint")?;
        v = (v << 7) | (byte & 0x7f) as u64;
        if byte & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    // The ninth byte counts all its eight bits.
    let byte = *b.get(8).ok_or("truncated varint")?;
    Ok(((v << 8) | byte as u64, 9))
}

/// The columns of a record (header of serial types, then the values).
fn record(payload: &[u8]) -> Result<Vec<Value<'_>>> {
    let (hlen, n) = varint(payload)?;
    let hlen = usize::try_from(hlen).map_err(|_| "bad record")?;
    let header = payload.get(n..hlen).ok_or("bad record header")?;
    let mut body = payload.get(hlen..).ok_or("bad record")?;
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < header.len() {
        let (ty, n) = varint(&header[pos..])?;
        pos += n;
        let len = match ty {
            0 | 8 | 9 => 0,
            1..=4 => ty as usize,
            5 => 6,
            6 | 7 => 8,
            n if n >= 12 => usize::try_from((n - 12) / 2).map_err(|_| "bad record")?,
            _ => return Err("bad serial type".into()),
        };
        let v = body.get(..len).ok_or("truncated record")?;
        body = &body[len..];
        out.push(match ty {
            0 => Value::Null,
            8 => Value::Int(0),
            9 => Value::Int(1),
            1..=6 => {
                let mut x: i64 = if v[0] & 0x80 != 0 { -1 } else { 0 };
                for &b in v {
                    x = (x << 8) | b as i64;
                }
                Value::Int(x)
            }
            7 => Value::Null,
            n if n % 2 == 0 => Value::Blob(v),
            _ => Value::Text(v),
        });
    }
    Ok(out)
}

impl Db<'_> {
    fn page(&self, n: usize) -> Result<&[u8]> {
        let start = n
            .checked_sub(1)
            .and_then(|i| i.checked_mul(self.page_size))
            .ok_or("bad page number")?;
        self.bytes
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {n} past the end of the file"))
    }

    /// The payloads of every row of the table b-tree rooted at `root`.
    fn rows(&self, root: usize) -> Result<Vec<Vec<u8>>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        // Cells of a table hold distinct bytes of the file: their payloads
        // together are never more than the file. Cell pointers that share
        // one cell would otherwise make gigabytes of a small file.
        let mut budget = self.bytes.len();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                return Err("b-tree page visited twice".into());
            }
            let page = self.page(n)?;
            // Page 1 starts with the 100-byte file header.
            let hdr = if n == 1 { 100 } else { 0 };
            let kind = *page.get(hdr).ok_or("short page")?;
            let cells = u16::from_be_bytes([page[hdr + 3], page[hdr + 4]]) as usize;
            let ptrs = match kind {
                0x0d => hdr + 8,
                0x05 => hdr + 12,
                _ => return Err(format!("page {n}: not a table b-tree page")),
            };
            let mut children = Vec::new();
            for i in 0..cells {
                let p = page
                    .get(ptrs + 2 * i..ptrs + 2 * i + 2)
                    .ok_or("bad cell pointer")?;
                let off = u16::from_be_bytes([p[0], p[1]]) as usize;
                let cell = page.get(off..).ok_or("bad cell offset")?;
                if kind == 0x05 {
                    let c = cell.get(..4).ok_or("bad interior cell")?;
                    children.push(u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize);
                } else {
                    let row = self.payload(cell, &mut seen, budget)?;
                    budget -= row.len();
                    out.push(row);
                }
            }
            if kind == 0x05 {
                let r = &page[hdr + 8..hdr + 12];
                children.push(u32::from_be_bytes([r[0], r[1], r[2], r[3]]) as usize);
                // Left to right: push in reverse so the leftmost pops first.
                stack.extend(children.into_iter().rev());
            }
        }
        Ok(out)
    }

    /// A table leaf cell's payload, its overflow pages followed.
    /// At most `budget` bytes: what is left of the file's size.
    fn payload(&self, cell: &[u8], seen: &mut HashSet<usize>, budget: usize) -> Result<Vec<u8>> {
        let (size, a) = varint(cell)?;
        let (_rowid, b) = varint(&cell[a..])?;
        let size = usize::try_from(size).map_err(|_| "bad payload size")?;
        if size > budget {
            return Err("cells hold more than the file".into());
        }
        let u = self.usable;
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + (size - m) % (u - 4);
            if k <= x { k } else { m }
        };
        let body = &cell[a + b..];
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(body.get(..local).ok_or("truncated cell")?);
        if local < size {
            let p = body.get(local..local + 4).ok_or("truncated cell")?;
            let mut next = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize;
            while out.len() < size {
                if next == 0 || !seen.insert(next) {
                    return Err("broken overflow chain".into());
                }
                let page = self.page(next)?;
                next = u32::from_be_bytes([page[0], page[1], page[2], page[3]]) as usize;
                let take = (size - out.len()).min(u - 4);
                out.extend_from_slice(&page[4..4 + take]);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page 1 of 512 bytes, a table leaf whose `cells` pointers all point
    /// at one cell of `len` payload bytes.
    fn shared_cell(cells: usize, len: u8) -> Vec<u8> {
        let mut db = vec![0u8; 512];
        db[..16].copy_from_slice(b"SQLite format 3\0");
        db[16..18].copy_from_slice(&512u16.to_be_bytes());
        db[100] = 0x0d;
        db[103..105].copy_from_slice(&(cells as u16).to_be_bytes());
        let at = 108 + 2 * cells;
        for i in 0..cells {
            db[108 + 2 * i..110 + 2 * i].copy_from_slice(&(at as u16).to_be_bytes());
        }
        db[at] = len; // payload size (a one-byte varint)
        db[at + 1] = 1; // rowid
        db
    }

    #[test]
    fn cells_sharing_bytes_make_no_more_than_the_file() {
        let db = shared_cell(150, 100);
        let d = Db {
            bytes: &db,
            page_size: 512,
            usable: 512,
        };
        assert_eq!(d.rows(1).unwrap_err(), "cells hold more than the file");
        // The same cell once is a row.
        let db = shared_cell(1, 100);
        let d = Db {
            bytes: &db,
            page_size: 512,
            usable: 512,
        };
        assert_eq!(d.rows(1).unwrap(), [vec![0u8; 100]]);
    }
}
