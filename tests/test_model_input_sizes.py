"""Image sizes a network cannot take: the error names the sizes that work.

A U-Net with p poolings of 2 takes images whose height and width are multiples of 2^p:
otherwise a pooled size is rounded down, upsampling doubles it back to one pixel short,
and the skip connection meets a map of another size. The model's error must say so in
sizes a learner can use, not in the shapes of some inner layer."""
import numpy as np
import pytest

import tinydl
from tinydl.layers import Concatenate, Conv2D, MaxPooling2D, UpSampling2D
from tinydl.models.input_sizes import InputSizeError, _describe_sizes, input_size_hint


def small_unet(poolings: int, channels: int = 2) -> tinydl.Model:
    tinydl.utils.set_random_seed(0)
    inputs = tinydl.Input((None, None, 1))
    x, skips = inputs, []
    for _ in range(poolings):
        x = Conv2D(channels, 3, padding="same", activation="relu")(x)
        skips.append(x)
        x = MaxPooling2D()(x)
    for skip in reversed(skips):
        x = Concatenate()([UpSampling2D()(x), skip])
    return tinydl.Model(inputs, Conv2D(3, 1, activation="softmax")(x))


def predict_error(model, shape) -> str:
    with pytest.raises(ValueError) as info:
        model.predict(np.zeros(shape, np.float32))
    assert isinstance(info.value, InputSizeError)
    return str(info.value)


def test_two_poolings_take_multiples_of_4_and_the_error_names_the_nearest():
    model = small_unet(2)
    assert model.predict(np.zeros((1, 64, 84, 1), np.float32)).shape == (1, 64, 84, 3)
    message = predict_error(model, (2, 65, 86, 1))
    assert "(2, 65, 86, 1)" in message and "Concatenate" in message
    assert "height 65: it takes multiples of 4 (nearest: 64 or 68)" in message
    assert "width 86: it takes multiples of 4 (nearest: 84 or 88)" in message


def test_three_poolings_need_multiples_of_8_so_84_wide_fails_but_64_high_is_fine():
    model = small_unet(3)
    message = predict_error(model, (1, 64, 84, 1))
    assert "height 64 is fine (multiples of 8)" in message
    assert "width 84: it takes multiples of 8 (nearest: 80 or 88)" in message
    assert model.predict(np.zeros((1, 64, 88, 1), np.float32)).shape == (1, 64, 88, 3)


def test_fit_and_evaluate_get_the_same_error():
    model = small_unet(2)
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.zeros((2, 10, 12, 1), np.float32), np.zeros((2, 10, 12), np.int64)
    for run in (lambda: model.fit(x, y, epochs=1, verbose=0),
                lambda: model.evaluate(x, y, verbose=0)):
        with pytest.raises(InputSizeError, match="height 10: it takes multiples of 4"):
            run()


def test_a_valid_convolution_needs_a_minimum_size():
    inputs = tinydl.Input((None, None, 1))
    model = tinydl.Model(inputs, Conv2D(1, 3)(Conv2D(1, 3)(inputs)))
    message = predict_error(model, (1, 4, 9, 1))
    assert "height 4: it takes any size from 5 (nearest: 5)" in message
    assert "width 9 is fine (any size from 5)" in message


def test_no_hint_when_the_size_is_not_the_cause():
    model = small_unet(2)
    assert input_size_hint(model, [(1, 64, 84, 1)]) is None
    fixed = tinydl.Input((8, 8, 1))            # no free axis: nothing to suggest
    model = tinydl.Model(fixed, Conv2D(1, 3)(fixed))
    assert input_size_hint(model, [(1, 8, 8, 1)]) is None


def test_concatenate_checks_real_sizes_with_its_own_message():
    layer = Concatenate()
    a, b = np.zeros((1, 4, 5, 2), np.float32), np.zeros((1, 4, 6, 3), np.float32)
    with pytest.raises(ValueError, match=r"Concatenate.*axis 2 differs"):
        layer([a, b])
    assert layer([a, a]).shape == (1, 4, 5, 4)


@pytest.mark.parametrize("sizes, text", [
    ([4, 8, 12, 16], "multiples of 4"),
    ([5, 13, 21], "5 and every 8 after it"),
    ([3, 4, 5, 6], "any size from 3"),
    ([4, 9], "4, 9"),
])
def test_describe_sizes(sizes, text):
    assert _describe_sizes(sizes, limit=sizes[-1]) == text
