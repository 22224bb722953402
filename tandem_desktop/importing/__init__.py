"""Reading the structures' spreadsheets: files, header rows, column mapping, cell values, duplicates.

Plain data in, plain data out: nothing here touches the store or Qt (import-linter holds it), so the
dialog, the CLI and the tests share every rule. services/imports.py puts the parts together and
writes through the one write door.

- sources.py: a CSV (encoding and delimiter detected), XLSX, XLS or ODS file as rows of cells;
- table.py: the header row found below title rows, empty rows dropped, spreadsheet row numbers kept;
- mapping.py: which column feeds which field, guessed from French and English headers;
- cells.py: a cell as a field expects it (Excel date serials, phones that lost their leading zero);
- duplicates.py: the duplicate rules (same e-mail, same phone, same name and birth date).
"""
