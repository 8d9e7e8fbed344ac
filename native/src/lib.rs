//! ``tcw_native``: the compiled fast path of the loaders. It reads format-A lines and raw tables
//! into canonical event columns exactly as the reference (SQL) normalisation does, for every record
//! whose reading is unambiguous; it hands back the lines and rows it declines, which the reference
//! path then reads (rejects included).

mod columns;
mod csv;
mod deletes;
mod events;
mod field;
mod gb18030;
mod gs1;
mod json;
mod normalize;
mod python;
mod record;
mod scan;
mod table;
mod timeparse;

use pyo3::prelude::*;

#[pymodule]
fn tcw_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<python::EventBuilder>()?;
    module.add_function(wrap_pyfunction!(python::layout, module)?)?;
    module.add_function(wrap_pyfunction!(python::fields, module)?)?;
    module.add_function(wrap_pyfunction!(python::delete_lines, module)?)?;
    module.add_function(wrap_pyfunction!(python::clean_gs1, module)?)?;
    module.add_function(wrap_pyfunction!(python::split_plain, module)?)?;
    module.add_function(wrap_pyfunction!(python::csv_cells, module)?)?;
    module.add_function(wrap_pyfunction!(python::utf8_prefix, module)?)?;
    module.add_function(wrap_pyfunction!(python::utf8_lines, module)?)?;
    module.add_function(wrap_pyfunction!(python::utf8_line_spans, module)?)?;
    module.add_function(wrap_pyfunction!(python::lines_with, module)?)?;
    module.add_function(wrap_pyfunction!(python::gb18030_to_utf8, module)?)?;
    Ok(())
}
