"""Contract ids and roll cycles: parsing, stepping, expiry and roll dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from syscore.exceptions import DataValidationError
from sysobjects.contracts import ContractId, contract_year_fraction
from sysobjects.roll_parameters import (
    RollParameters,
    contracts_between,
    cycle_months,
    step_in_cycle,
)


def test_contract_id_parses_month_only_and_dated_contracts():
    assert ContractId.parse("20230900") == ContractId(2023, 9, 0)
    assert str(ContractId.parse(20230915)) == "20230915"
    assert str(ContractId.parse(20230900.0)) == "20230900"
    assert ContractId.parse("20260900").year_fraction == pytest.approx(2026.75)


def test_a_dated_contract_has_one_year_fraction_the_carry_rule_and_the_contract_id_agree():
    ids = ["20260900", "20260915", "20261015", "20270300"]
    vectorised = contract_year_fraction(np.array([float(i) for i in ids]))
    scalar = [ContractId.parse(i).year_fraction for i in ids]
    assert scalar == vectorised.tolist()
    # pysystemtrade's arithmetic: the day counts as hundredths of the month (SYSTEM_SPEC section 2)
    assert scalar[1] == 2026 + 9.15 / 12 and scalar[2] - scalar[1] == pytest.approx(1 / 12)


@pytest.mark.parametrize("bad", ["2023090", "20231300", "20230231", "abcdefgh", "18991200", 2023.5])
def test_contract_id_rejects_impossible_ids(bad):
    with pytest.raises(DataValidationError, match="contract id"):
        ContractId.parse(bad)


def test_contract_ids_sort_by_date():
    ids = [ContractId.parse(x) for x in ["20240300", "20231200", "20230900"]]
    assert [str(x) for x in sorted(ids)] == ["20230900", "20231200", "20240300"]


def test_cycle_months_and_bad_letters():
    assert cycle_months("HMUZ") == [3, 6, 9, 12]
    assert cycle_months("Z") == [12]
    with pytest.raises(DataValidationError, match="month letters"):
        cycle_months("HMUA")
    with pytest.raises(DataValidationError, match="repeats"):
        cycle_months("HHM")


def test_stepping_wraps_years_both_ways():
    dec = ContractId.parse("20231200")
    assert str(step_in_cycle(dec, "HMUZ", 1)) == "20240300"
    assert str(step_in_cycle(dec, "HMUZ", 4)) == "20241200"
    assert str(step_in_cycle(ContractId.parse("20240300"), "HMUZ", -1)) == "20231200"
    assert str(step_in_cycle(ContractId.parse("20230100"), "HMUZ", 1)) == "20230300"
    assert str(step_in_cycle(ContractId.parse("20231200"), "Z", 1)) == "20241200"


def test_contracts_between_lists_cycle_months_inclusive():
    listed = contracts_between(dt.date(2023, 2, 10), dt.date(2024, 3, 1), "HMUZ")
    assert [str(c) for c in listed] == ["20230300", "20230600", "20230900", "20231200", "20240300"]


def test_expiry_roll_date_and_carry_contract():
    # US10-like: quarterly, expiry ~ 19 days into the month, roll 5 days before
    params = RollParameters("HMUZ", "HMUZ", roll_offset_days=-5, carry_offset=1, expiry_offset=19)
    march = ContractId.parse("20230300")
    assert params.expected_expiry(march) == dt.date(2023, 3, 20)
    assert params.expected_roll_date(march) == dt.date(2023, 3, 15)
    assert str(params.carry_contract(march)) == "20230600"


def test_carry_offset_minus_one_uses_the_nearer_priced_contract():
    # CORN-like: hold December only, priced HKNUZ, carry is the contract before
    params = RollParameters("Z", "HKNUZ", roll_offset_days=-60, carry_offset=-1, expiry_offset=14)
    assert str(params.carry_contract(ContractId.parse("20231200"))) == "20230900"
    assert str(params.next_held(ContractId.parse("20231200"))) == "20241200"


def test_hold_cycle_must_be_within_priced_cycle():
    with pytest.raises(DataValidationError, match="priced cycle"):
        RollParameters("HMUZ", "HMU", -5, 1, 19)
