//! Rows of output for people or for programs: on a terminal, a header and aligned columns;
//! otherwise (a pipe, a file) no header and one tab between fields, for `cut` and `awk`.

use std::io::IsTerminal;

/// How rows are laid out, decided once per command by where stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Aligned,
    Plain,
}

impl Layout {
    pub fn detect() -> Layout {
        if std::io::stdout().is_terminal() {
            Layout::Aligned
        } else {
            Layout::Plain
        }
    }

    /// Print a whole table (column widths from its contents).
    pub fn print_table(self, headers: &[&str], rows: &[Vec<String>]) {
        match self {
            Layout::Plain => rows.iter().for_each(|row| println!("{}", row.join("\t"))),
            Layout::Aligned => {
                let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
                for row in rows {
                    for (w, cell) in widths.iter_mut().zip(row) {
                        *w = (*w).max(cell.chars().count());
                    }
                }
                let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
                println!("{}", pad(&header, &widths));
                rows.iter()
                    .for_each(|row| println!("{}", pad(row, &widths)));
            }
        }
    }

    /// Print one row of a stream, whose widths must be fixed in advance.
    pub fn print_row(self, row: &[String], widths: &[usize]) {
        match self {
            Layout::Plain => println!("{}", row.join("\t")),
            Layout::Aligned => println!("{}", pad(row, widths)),
        }
    }

    /// Cut `text` to `max` characters on a terminal; programs get it whole.
    pub fn fit(self, text: String, max: usize) -> String {
        if self == Layout::Aligned && text.chars().count() > max {
            text.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
        } else {
            text
        }
    }
}

/// Cells padded to their column's width, two spaces apart; the last one is not padded.
fn pad(row: &[String], widths: &[usize]) -> String {
    let last = row.len().saturating_sub(1);
    let mut line = String::new();
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        if i < last {
            let width = widths.get(i).copied().unwrap_or(0);
            line.extend(std::iter::repeat_n(
                ' ',
                width.saturating_sub(cell.chars().count()),
            ));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_padded_except_the_last() {
        let row = vec!["ab".to_string(), "c".to_string(), "tail".to_string()];
        assert_eq!(pad(&row, &[4, 3, 9]), "ab    c    tail");
    }

    #[test]
    fn only_terminals_get_cut_text() {
        assert_eq!(Layout::Aligned.fit("abcdef".into(), 4), "abc…");
        assert_eq!(Layout::Plain.fit("abcdef".into(), 4), "abcdef");
    }
}
