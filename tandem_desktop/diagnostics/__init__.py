"""Diagnostics without personal data: the profile's rotating log, crash file, hooks and error reports.

Qt-free; the GUI's dialog and Qt message handler are in gui/diagnostics.py.
"""

from .logfile import CRASH_NAME, LOG_NAME, LOGS_DIR, FieldLog, PrivateRotatingFileHandler, field_log, logs_dir
from .scrub import ScrubFilter, scrub_text
from .trace import report, short_path, system_lines, trace_lines, type_name

__all__ = ["CRASH_NAME", "LOGS_DIR", "LOG_NAME", "FieldLog", "PrivateRotatingFileHandler", "ScrubFilter",
           "field_log", "logs_dir", "report", "scrub_text", "short_path", "system_lines", "trace_lines",
           "type_name"]
