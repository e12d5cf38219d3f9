"""Decimal text to float64 exactly as pysystemtrade reads its CSV files: the one place where the
numbers of a pysystemtrade CSV file are parsed (the importer and the backtest loader both call
`parse_decimal_text`).

pysystemtrade (v1.80) reads CSV with pandas' default C parser. Up to pandas 2.x that parser
(`precise_xstrtod`, float_precision "high") is not correctly rounded: it accumulates at most 17
digits (leading zeros included) into a double, `number * 10 + digit` at each step, drops any later
digits, and then multiplies or divides by a power of ten. Past 2**53 the accumulation rounds, so the
text `2.6310000000000002` reads as `2.631`; a correctly rounded parser (pyarrow, Python, pandas
3.x) gives `2.6310000000000002`. About 5% of the values in pysystemtrade's shipped prices are such
17-digit texts, and where PRICE and CARRY differ only in that last digit the carry is an exact zero
(missing) in pysystemtrade and not otherwise, so the two readings give different backtests.

`pandas_compatible=True` reproduces that parser bit for bit, vectorised: texts of at most 15
digits and no exponent are exact either way (a 15-digit integer and a power of ten up to 1e15 are
exact doubles, so one division rounds once), so only the others are re-read digit by digit.
This module imports neither pandas nor anything above `syscore`, so the backtest loader stays light.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from syscore.exceptions import DataValidationError

# pandas' default NA strings (pandas 2.x `STR_NA_VALUES`): read as missing, never as text.
PANDAS_NA_TEXT = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)
_MAX_DIGITS = 17  # digits the pandas parser accumulates
_EXACT_DIGITS = 15  # up to this many digits (no exponent) every parser gives the same double
_POWERS = np.array([float(f"1e{k}") for k in range(309)])  # the parser's table of 10**k
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?([iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN])$"


class NotANumber(DataValidationError):
    """A text that is not a decimal number; `row` is its 0-based position."""

    def __init__(self, row: int, text: str):
        super().__init__(f"row {row + 1} holds '{text}', not a number")
        self.row = row
        self.text = text


def parse_decimal_text(texts: object, pandas_compatible: bool = True) -> np.ndarray:
    """Float64 values of decimal texts (missing texts give NaN).

    `texts` is anything pyarrow turns into a string array (a pyarrow (chunked) array, a pandas
    Series, a numpy array or list of str/None). Surrounding ASCII whitespace is ignored, as pandas
    does. `pandas_compatible` gives pandas 2.x's default C parser's doubles (what pysystemtrade
    reads); otherwise the correctly rounded ones. Raises `NotANumber` for the first bad text.
    """
    array = pc.ascii_trim_whitespace(_string_array(texts))
    try:
        values = arrow_to_numpy(pc.cast(array, pa.float64()), np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _first_bad(array) from None
    if pandas_compatible and len(values):
        _reread_long_texts(array, values)
    return values


def arrow_to_numpy(array: pa.Array | pa.ChunkedArray, dtype: type) -> np.ndarray:
    """Arrow numeric column -> numpy straight from its buffers, nulls as NaN.

    pyarrow's own conversions with nulls (and scalar NaN fills) import pandas, which alone costs
    more than reading the files.
    """
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    parts = []
    for chunk in chunks:
        validity, data = chunk.buffers()[:2]
        values = np.frombuffer(data, dtype=dtype)[chunk.offset : chunk.offset + len(chunk)].copy()
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            values[~bits[chunk.offset : chunk.offset + len(chunk)].astype(bool)] = np.nan
        parts.append(values)
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def _string_array(texts: object) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        array = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    elif isinstance(texts, pa.Array):
        array = texts
    else:
        array = pa.array(texts, from_pandas=True)
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if not pa.types.is_string(array.type):
        array = array.cast(pa.string())
    return array


def _flags(mask: pa.Array) -> np.ndarray:
    """A boolean arrow array as numpy, null as False (without pyarrow's pandas-importing fills)."""
    return arrow_to_numpy(mask.cast(pa.float64()), np.float64) > 0


def _first_bad(array: pa.Array) -> NotANumber:
    bad = np.flatnonzero(_flags(pc.invert(pc.match_substring_regex(array, _NUMBER))))
    if len(bad) == 0:  # pyarrow refused a text the pattern accepts: find it one by one
        for row, text in enumerate(array.to_pylist()):
            try:
                pc.cast(pa.array([text], pa.string()), pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return NotANumber(row, str(text))
        return NotANumber(0, "?")
    row = int(bad[0])
    return NotANumber(row, str(array[row].as_py()))


def _reread_long_texts(array: pa.Array, values: np.ndarray) -> None:
    """Overwrite, in place, the values whose text is 16 characters or longer or has an exponent
    (shorter texts have at most 15 digits, which every parser reads alike)."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    data = array.buffers()[2]
    text = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] if data is not None else np.empty(0, np.uint8)
    finite = np.isfinite(values)
    if np.count_nonzero((text | 0x20) == ord("e")):  # rare: only then look for exponents per text
        has_exponent = _flags(pc.match_substring(array, "e")) | _flags(pc.match_substring(array, "E"))
    else:
        has_exponent = np.zeros(len(values), dtype=bool)
    plain = np.flatnonzero((np.diff(offsets) > _EXACT_DIGITS) & ~has_exponent & finite)
    if len(plain):
        values[plain] = _plain_xstrtod(array.take(_indices(plain)))
    scientific = np.flatnonzero(has_exponent & finite)
    if len(scientific):
        values[scientific] = pandas_xstrtod(_char_matrix(array.take(_indices(scientific))))


def _indices(rows: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.int64(), len(rows), [None, pa.py_buffer(rows.astype(np.int64))])


def _plain_xstrtod(texts: pa.Array) -> np.ndarray:
    """`pandas_xstrtod` for texts without an exponent ([sign]digits[.digits]), on whole columns.

    The parser's first 16 steps are exact except the 16th addition, which rounds once: that is
    float64 of the first 16 digits as an integer. A 17th digit adds one multiply and one add.
    """
    negative = _flags(pc.starts_with(texts, "-"))
    unsigned = pc.utf8_ltrim(texts, characters="+-")
    point = arrow_to_numpy(pc.find_substring(unsigned, ".").cast(pa.float64()), np.float64).astype(np.int64)
    digits = pc.replace_substring(unsigned, ".", "", max_replacements=1)
    length = arrow_to_numpy(pc.binary_length(digits).cast(pa.float64()), np.float64).astype(np.int64)
    head = pc.utf8_slice_codeunits(digits, 0, _MAX_DIGITS).cast(pa.int64())
    accumulated = np.frombuffer(head.buffers()[1], dtype=np.int64)[head.offset : head.offset + len(head)]
    integer_digits = np.where(point < 0, length, point)
    counted = np.minimum(length, _MAX_DIGITS)
    decimals = np.maximum(counted - integer_digits, 0)
    dropped = np.maximum(integer_digits - _MAX_DIGITS, 0)
    full = counted == _MAX_DIGITS
    number = np.where(full, accumulated // 10, accumulated).astype(np.float64)
    number = np.where(full, number * 10.0 + (accumulated % 10), number)
    return _scale(np.where(negative, -number, number), dropped - decimals)


def _scale(number: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """number x 10**exponent the way the parser does it (one multiply or division by 10**k)."""
    out = number / _POWERS[np.clip(-exponent, 0, 308)]
    up = exponent > 0
    out[up] = number[up] * _POWERS[np.clip(exponent[up], 0, 308)]
    tiny = exponent < -308
    out[tiny] = number[tiny] / _POWERS[np.clip(-308 - exponent[tiny], 0, 308)] / _POWERS[308]
    out[exponent < -616] = 0.0
    out[exponent > 308] = np.inf  # the C parser flags these as out of range
    return out


def _char_matrix(array: pa.Array) -> np.ndarray:
    """One row of bytes per text, space-padded to the longest (a string array without nulls)."""
    width = max(1, pc.max(pc.binary_length(array)).as_py() or 0)
    padded = pc.utf8_rpad(array, width=width, padding=" ")
    first = int(np.frombuffer(padded.buffers()[1], dtype=np.int32)[padded.offset])
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)
    return data[first : first + len(padded) * width].reshape(len(padded), width)


def pandas_xstrtod(chars: np.ndarray) -> np.ndarray:
    """pandas 2.x `precise_xstrtod` over a matrix of valid number texts (one per row, padded).

    Scans the columns left to right, all rows at once, doing in float64 exactly the operations
    the C code does in double (numpy never fuses the multiply and the add). Spaces are ignored.
    """
    rows = chars.shape[0]
    number = np.zeros(rows)
    counted = np.zeros(rows, dtype=np.int64)  # digits accumulated (at most 17)
    decimals = np.zeros(rows, dtype=np.int64)  # of which after the point
    dropped = np.zeros(rows, dtype=np.int64)  # integer digits past the 17th (each one is x10)
    exp_value = np.zeros(rows, dtype=np.int64)
    exp_digits = np.zeros(rows, dtype=np.int64)
    negative = np.zeros(rows, dtype=bool)
    exp_negative = np.zeros(rows, dtype=bool)
    point = np.zeros(rows, dtype=bool)
    in_exp = np.zeros(rows, dtype=bool)
    for c in np.ascontiguousarray(chars.T):  # one contiguous array per character position
        is_digit = (c >= 48) & (c <= 57)
        d = c.astype(np.int64) - 48
        mantissa = is_digit & ~in_exp
        take = mantissa & (counted < _MAX_DIGITS)
        number = np.where(take, number * 10.0 + d, number)
        counted += take
        decimals += take & point
        dropped += mantissa & ~take & ~point
        in_exponent = is_digit & in_exp & (exp_digits < _MAX_DIGITS)
        exp_value = np.where(in_exponent, exp_value * 10 + d, exp_value)
        exp_digits += in_exponent
        minus = c == 45
        exp_negative |= minus & in_exp
        negative |= minus & ~in_exp
        point |= (c == 46) & ~in_exp
        in_exp |= (c == 101) | (c == 69)
    exponent = dropped - decimals + np.where(exp_negative, -exp_value, exp_value)
    return _scale(np.where(negative, -number, number), exponent)


def pandas_faithful_text(value: float) -> str:
    """A text that pandas 2.x's default parser reads back as exactly `value` (finite).

    `repr` is the shortest correctly rounded text; for about 1 value in 700 the pandas parser
    reads it as a neighbour, so a nearby 17-digit text that it does read as `value` is used.
    """
    text = repr(float(value))
    if _pandas_reads(text) == value:
        return text
    mantissa, exponent = f"{value:.16e}".split("e")
    digits = int(mantissa.replace(".", "").replace("-", ""))
    power = int(exponent) - 16
    sign = "-" if value < 0 else ""
    for step in sorted(range(-40, 41), key=abs):
        candidate = _plain(sign, str(digits + step), power)
        if _pandas_reads(candidate) == value:
            return candidate
    return text  # not reachable from any 17-digit text: no pandas reading gives this value


def _plain(sign: str, digits: str, power: int) -> str:
    """sign digits x 10**power, with a decimal point where that keeps it short, else e-notation."""
    before = len(digits) + power
    if 1 <= before <= len(digits):
        return f"{sign}{digits[:before]}.{digits[before:]}"
    return f"{sign}{digits}e{power}"


def _pandas_reads(text: str) -> float:
    return float(parse_decimal_text([text], pandas_compatible=True)[0])
