"""FaultInjector decisions: rates, seeds, token expiry and setting checks."""

import pytest

from orgbridge.emulator.config import FaultConfig
from orgbridge.emulator.faults import FaultConfigError, FaultInjector


def test_seed_replays_same_faults() -> None:
    config = FaultConfig(server_unavailable_rate=0.5, seed=7)
    first = FaultInjector(config)
    second = FaultInjector(config)
    draws = [first.request_fault() for _ in range(50)]

    assert draws == [second.request_fault() for _ in range(50)]
    assert "SERVER_UNAVAILABLE" in draws
    assert None in draws


def test_zero_rates_inject_nothing() -> None:
    faults = FaultInjector(FaultConfig())
    assert all(faults.request_fault() is None for _ in range(100))
    assert not any(faults.lock_row_fault() for _ in range(100))
    assert not any(faults.drop_after_commit() for _ in range(100))


def test_token_expiry_every_n_calls() -> None:
    faults = FaultInjector(FaultConfig(token_expiry_after_calls=3))
    results = [faults.count_call_and_check_token_expiry() for _ in range(7)]
    assert results == [False, False, True, False, False, True, False]


@pytest.mark.parametrize(
    "config",
    [
        FaultConfig(unable_to_lock_row_rate=-0.1),
        FaultConfig(drop_after_commit_rate=1.5),
        FaultConfig(latency_ms=-1),
        FaultConfig(token_expiry_after_calls=0),
        FaultConfig(server_unavailable_rate="high"),  # type: ignore[arg-type]
    ],
)
def test_invalid_settings_rejected(config: FaultConfig) -> None:
    faults = FaultInjector(FaultConfig())
    with pytest.raises(FaultConfigError):
        faults.configure(config)
    assert faults.config == FaultConfig()
