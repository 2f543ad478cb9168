"""Record: the struct-like dict that load and compressNetworkUsingTaylorPruning return."""
import copy
import pickle

import pytest

from minidl.record import Record


def test_keys_read_as_attributes_and_a_missing_one_names_what_there_is():
    info = Record(StopReason="LearnablesReductionGoal", NumIterations=2, missing="info has no field")
    assert info.StopReason == info["StopReason"] == "LearnablesReductionGoal" and dict(info) == {
        "StopReason": "LearnablesReductionGoal", "NumIterations": 2}
    with pytest.raises(AttributeError, match=r"info has no field 'Reason'; it has \['NumIterations', 'StopReason'\]"):
        info.Reason
    with pytest.raises(AttributeError, match="the record has no field 'x'; it has \\[\\]"):
        Record().x


def test_copies_keep_the_values_and_the_message():
    info = Record(a=[1], missing="the file has no variable")
    for other in (copy.copy(info), copy.deepcopy(info), pickle.loads(pickle.dumps(info))):
        assert type(other) is Record and other.a == [1]
        with pytest.raises(AttributeError, match="the file has no variable 'b'"):
            other.b
    assert copy.deepcopy(info).a is not info.a
