"""Decimal text is read as pysystemtrade reads it: pandas 2.x's default C parser, bit for bit.

Expected doubles come from three places: texts hand-checked against pandas 2.1.4's `read_csv`
(pinned below as hex), a plain scalar transcription of that parser's algorithm (run on many random
texts), and digests of pandas 2.1.4's reading of the whole reference data.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from sysdata.csv_io.numbers import (
    PANDAS_NA_TEXT,
    NotANumber,
    pandas_faithful_text,
    parse_decimal_text,
)

# text -> what pandas 2.1.4's read_csv (default float_precision) gives, as float.hex()
PANDAS_21 = [
    ("2.6310000000000002", "0x1.50c49ba5e353fp+1"),  # 2.631: the 17th digit is lost
    ("2.631", "0x1.50c49ba5e353fp+1"),
    ("0.1", "0x1.999999999999ap-4"),
    ("-3.5", "-0x1.c000000000000p+1"),
    ("+1.5", "0x1.8000000000000p+0"),
    (".5", "0x1.0000000000000p-1"),
    ("5.", "0x1.4000000000000p+2"),
    ("1e-05", "0x1.4f8b588e368f1p-17"),
    ("1E+05", "0x1.86a0000000000p+16"),
    ("123456789012345678", "0x1.b69b4ba630f35p+56"),
    ("12345678901234567890123", "0x1.4ea15b273b38ap+73"),
    ("0.000000000000000012345", "0x0.0p+0"),  # leading zeros use up the 17 digits
    ("0.0123456789012345678", "0x1.948b0f90591bfp-7"),
    ("9007199254740993", "0x1.0000000000000p+53"),
    ("90071992547409935", "0x1.4000000000000p+56"),
    ("3.2439999999999953", "0x1.9f3b645a1cab7p+1"),  # 3.2439999999999958
    ("-3.2439999999999953", "-0x1.9f3b645a1cab7p+1"),
    ("1.2345678901234567e-25", "0x1.31aa094e075f3p-83"),
    ("1.7976931348623157e308", "0x1.fffffffffffffp+1023"),
    ("4.9e-324", "0x0.0000000000001p-1022"),
    ("2.2250738585072014e-308", "0x1.0000000000000p-1022"),
    ("0.30000000000000004", "0x1.3333333333333p-2"),  # 0.3
    ("1234567.8901234567", "0x1.2d687e3df2180p+20"),
    ("99999999999999999", "0x1.6345785d8a001p+56"),  # 1.0000000000000002e+17
    ("  7.25  ", "0x1.d000000000000p+2"),
]

# sha256 of pandas 2.1.4's doubles for the reference tree (NaN written as inf), files sorted,
# columns in this order: what pysystemtrade holds after reading the files.
REFERENCE_COLUMNS = {
    "multiple_prices_csv": (["PRICE", "CARRY", "FORWARD"], 5663004,
                            "70ba417c14f3a66a18dc1751bb0a536cf8ffcea24b36e1be9b52cf852e556382"),
    "adjusted_prices_csv": (["price"], 1887264,
                            "bcd6138c77d567e0a57dd508b6ab39454f9c17572ad060f6c38e1b094212949c"),
    "fx_prices_csv": (["PRICE"], 94042,
                      "6a3e7341703d790d2e058f4c26244f7f1facf83bd4a346ecb5d4ece8651f443f"),
}


def scalar_pandas_xstrtod(text: str) -> float:
    """The parser's algorithm, one text at a time, in Python floats (IEEE doubles, no fused ops)."""
    text = text.strip()
    position, negative = 0, False
    if text[:1] in "+-":
        negative, position = text[0] == "-", 1
    number, exponent, digits, decimals = 0.0, 0, 0, 0
    while position < len(text) and text[position].isdigit():
        if digits < 17:
            number = number * 10.0 + int(text[position])
            digits += 1
        else:
            exponent += 1
        position += 1
    if position < len(text) and text[position] == ".":
        position += 1
        while position < len(text) and text[position].isdigit():
            if digits < 17:
                number = number * 10.0 + int(text[position])
                digits += 1
                decimals += 1
            position += 1
    exponent -= decimals
    if negative:
        number = -number
    if position < len(text) and text[position] in "eE":
        exponent += int(text[position + 1:])
    if exponent > 308:
        return math_inf(number)
    if exponent > 0:
        return number * float(f"1e{exponent}")
    if exponent < -616:
        return 0.0
    if exponent < -308:
        return number / float(f"1e{-308 - exponent}") / 1e308
    return number / float(f"1e{-exponent}")


def math_inf(number: float) -> float:
    return float("inf")


@pytest.mark.parametrize(("text", "expected"), PANDAS_21)
def test_hand_checked_texts_read_as_pandas_2_reads_them(text, expected):
    assert parse_decimal_text([text])[0] == float.fromhex(expected)
    assert scalar_pandas_xstrtod(text) == float.fromhex(expected)


def test_corrected_reading_is_correctly_rounded():
    texts = [text for text, _ in PANDAS_21]
    exact = parse_decimal_text(texts, pandas_compatible=False)
    assert list(exact) == [float(t) for t in texts]
    assert exact[0] == 2.6310000000000002 and parse_decimal_text(texts)[0] == 2.631


def _random_text(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 22)))
    point = rng.randint(0, len(digits))
    text = digits[:point] + "." + digits[point:] if rng.random() < 0.8 else digits
    if text == ".":
        text = "0.5"
    sign = rng.choice(["", "", "-", "+"])
    exponent = f"e{rng.randint(-40, 40)}" if rng.random() < 0.2 else ""
    return sign + text + exponent


def test_vectorised_equals_the_scalar_algorithm_on_random_texts():
    rng = random.Random(11)
    texts = [_random_text(rng) for _ in range(20000)]
    expected = np.array([scalar_pandas_xstrtod(t) for t in texts])
    got = parse_decimal_text(texts)
    np.testing.assert_array_equal(got, expected)
    assert (got != parse_decimal_text(texts, pandas_compatible=False)).sum() > 1000  # the cases matter


def test_missing_texts_are_nan_and_bad_text_names_its_row():
    values = parse_decimal_text(np.array(["1.5", None, "NaN", "2.6310000000000002"], dtype=object))
    assert values[0] == 1.5 and np.isnan(values[1]) and np.isnan(values[2]) and values[3] == 2.631
    with pytest.raises(NotANumber) as caught:
        parse_decimal_text(["1.5", "2", "1,5", "abc"])
    assert caught.value.row == 2 and "row 3 holds '1,5', not a number" in str(caught.value)


def test_faithful_text_reads_back_exactly_where_repr_does_not():
    value = float(parse_decimal_text(["3.2439999999999953"])[0])
    assert parse_decimal_text([repr(value)])[0] != value  # repr is misread by the pandas parser
    text = pandas_faithful_text(value)
    assert parse_decimal_text([text])[0] == value and float(text) != value
    assert pandas_faithful_text(0.1) == "0.1"


def test_whole_reference_data_reads_as_pandas_2_1_did(reference_data):
    for folder, (columns, count, digest) in REFERENCE_COLUMNS.items():
        sha, seen = hashlib.sha256(), 0
        for path in sorted((reference_data / folder).glob("*.csv")):
            options = pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns}, include_columns=columns,
                strings_can_be_null=True, null_values=list(PANDAS_NA_TEXT),
            )
            table = pacsv.read_csv(path, convert_options=options)
            for column in columns:
                values = parse_decimal_text(table.column(column))
                seen += len(values)
                sha.update(np.where(np.isnan(values), np.inf, values).tobytes())
        assert (seen, sha.hexdigest()) == (count, digest), folder
