"""Numbers from the paper, in one place.

Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NIPS 2012. Every other module imports its constants from here, so a number from the
paper is written down exactly once. Section numbers (§) refer to the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# §3.5: "The first convolutional layer filters the 224×224×3 input image with 96 kernels of size
# 11×11×3 with a stride of 4 pixels". With 224 and no padding, (224 - 11)/4 + 1 is not an integer;
# 227 is the size for which the stated layer yields the 55×55 maps the paper's figure shows.
INPUT_SIZE_STATED = 224
INPUT_SIZE = 227
IN_CHANNELS = 3
NUM_CLASSES = 1000

# §3.2: "the GPUs communicate only in certain layers" — every layer is split into two columns.
NUM_COLUMNS = 2
# §3.2: "the kernels of layer 3 take input from all kernel maps in layer 2. However, kernels in layer
# 4 take input only from those kernel maps in layer 3 which reside on the same GPU." Figure 2: the
# columns also meet in every fully-connected layer. The layers whose input crosses between the GPUs:
CROSS_GPU_LAYERS = ("conv3", "fc6", "fc7", "fc8")
# §3.2: "A single GTX 580 GPU has only 3GB of memory, which limits the maximum size of the networks
# that can be trained on it."
GPU_MEMORY_GB_STATED = 3
# §3.2: "This scheme reduces our top-1 and top-5 error rates by 1.7% and 1.2%, respectively, as
# compared with a net with half as many kernels in each convolutional layer trained on one GPU."
TWO_GPU_GAIN_TOP1 = 0.017
TWO_GPU_GAIN_TOP5 = 0.012

# §3.3: "we used k = 2, n = 5, α = 10^-4, and β = 0.75."
LRN_K = 2.0
LRN_SIZE = 5
LRN_ALPHA = 1e-4
LRN_BETA = 0.75

# §3.4: "This is what we use throughout our network, with s = 2 and z = 3."
POOL_KERNEL = 3
POOL_STRIDE = 2

# §4.2: "setting to zero the output of each hidden neuron with probability 0.5".
DROPOUT_P = 0.5

# §2: "we down-sampled the images to a fixed resolution of 256 × 256."
# §4.1: "extracting random 224 × 224 patches (and their horizontal reflections)".
RESIZE_SIZE = 256
CROP_SIZE = 224
# §4.1: "This increases the size of our training set by a factor of 2048" (32·32·2: the paper
# counts 32 offsets per axis; 256 - 224 + 1 = 33 positions exist, see transforms.distinct_patches).
AUGMENTATION_FACTOR_STATED = 2048
# §4.1: "At test time, the network makes a prediction by extracting five 224 × 224 patches (the
# four corner patches and the center patch) as well as their horizontal reflections (hence ten
# patches in all), and averaging the predictions made by the network's softmax layer".
TEST_PATCHES = 10
# §4.1: "a random variable drawn from a Gaussian with mean zero and standard deviation 0.1".
PCA_ALPHA_STD = 0.1
# §4.1: the colour augmentation "reduces the top-1 error rate by over 1%".
PCA_TOP1_GAIN_STATED = 0.01

# §2: "roughly 1.2 million training images, 50,000 validation images, and 150,000 testing images";
# "it is customary to report two error rates: top-1 and top-5, where the top-5 error rate is the
# fraction of test images for which the correct label is not among the five labels considered most
# probable by the model." These are ILSVRC-2010's sizes, the year of Table 1.
ILSVRC_TRAIN_IMAGES = 1_200_000
ILSVRC_VAL_IMAGES = 50_000
ILSVRC_TEST_IMAGES = 150_000
# Not in the paper: ILSVRC-2012's test set, on which Table 2's test column is measured, has 100
# images per class, with labels withheld (Russakovsky et al. 2015, IJCV).
ILSVRC2012_TEST_IMAGES = 100_000
TOP_K = 5
# §6, Table 1: ILSVRC-2010 test set, "top-1 and top-5 test set error rates of 37.5% and 17.0%".
# §6, Table 2: ILSVRC-2012, the submitted entry (7 CNNs) "15.3%" top-5 test error, against "26.2%
# achieved by the second-best entry".
ILSVRC2010_TEST_TOP1 = 0.375
ILSVRC2010_TEST_TOP5 = 0.170
# §6, footnote: "The error rates without averaging predictions over ten patches as described in
# Section 4.1 are 39.0% and 18.3%."
ILSVRC2010_TEST_TOP1_ONE_PATCH = 0.390
ILSVRC2010_TEST_TOP5_ONE_PATCH = 0.183
ILSVRC2012_TEST_TOP5 = 0.153
ILSVRC2012_SECOND_BEST_TOP5 = 0.262
# Table 1 (ILSVRC-2010 test set), top-1 and top-5 error: the best earlier results and the CNN.
TABLE1_ILSVRC2010 = {
    "Sparse coding": (0.471, 0.282),
    "SIFT + FVs": (0.457, 0.257),
    "CNN": (ILSVRC2010_TEST_TOP1, ILSVRC2010_TEST_TOP5),
}
# Table 2 (ILSVRC-2012): top-1 (val), top-5 (val), top-5 (test); None where the paper prints "—".
# An asterisk marks models "pre-trained to classify the entire ImageNet 2011 Fall release".
TABLE2_ILSVRC2012 = {
    "SIFT + FVs": (None, None, ILSVRC2012_SECOND_BEST_TOP5),
    "1 CNN": (0.407, 0.182, None),
    "5 CNNs": (0.381, 0.164, 0.164),
    "1 CNN*": (0.390, 0.166, None),
    "7 CNNs*": (0.367, 0.154, ILSVRC2012_TEST_TOP5),
}
# §5: "which took five to six days on two NVIDIA GTX 580 3GB GPUs".
TRAINING_DAYS_STATED = (5, 6)
# §4.2: "At test time, we use all the neurons but multiply their outputs by 0.5".
DROPOUT_TEST_SCALE = 1 - DROPOUT_P

# §5: "a batch size of 128 examples, momentum of 0.9, and weight decay of 0.0005";
# "zero-mean Gaussian distribution with standard deviation 0.01"; "The learning rate was
# initialized at 0.01"; "roughly 90 cycles through the training set".
BATCH_SIZE = 128
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
LEARNING_RATE = 0.01
INIT_STD = 0.01
EPOCHS = 90
# §5: "We initialized the neuron biases in the second, fourth, and fifth convolutional layers, as
# well as in the fully-connected hidden layers, with the constant 1. [...] We initialized the
# neuron biases in the remaining layers with the constant 0."
BIAS_ONE_LAYERS = ("conv2", "conv4", "conv5", "fc6", "fc7")
# §5: "The heuristic which we followed was to divide the learning rate by 10 when the validation
# error rate stopped improving with the current learning rate. The learning rate was initialized
# at 0.01 and reduced three times prior to termination."
LR_DROP_FACTOR = 0.1
LR_DROPS = 3

# §3 (Figure 2): "the number of neurons in the network's remaining layers is given by
# 253,440–186,624–64,896–64,896–43,264–4096–4096–1000." The input "is 150,528-dimensional".
INPUT_DIMENSION_STATED = 150_528
NEURONS_STATED = (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000)

# The effects the paper reports for single features, which the book's chapters measure at their own
# scale (alexnet_edu.claims grades them):
# §3.1, Figure 1: "A four-layer convolutional neural network with ReLUs (solid line) reaches a 25%
# training error rate on CIFAR-10 six times faster than an equivalent network with tanh neurons".
RELU_TARGET_ERROR = 0.25
RELU_SPEEDUP = 6.0
# §3.3: "Response normalization reduces our top-1 and top-5 error rates by 1.4% and 1.2%,
# respectively. We also verified the effectiveness of this scheme on the CIFAR-10 dataset: a
# four-layer CNN achieved a 13% test error rate without normalization and 11% with normalization".
LRN_GAIN_TOP1 = 0.014
LRN_GAIN_TOP5 = 0.012
LRN_CIFAR_ERRORS = (0.13, 0.11)    # without, with
# §3.4: "This scheme reduces the top-1 and top-5 error rates by 0.4% and 0.3%, respectively, as
# compared with the non-overlapping scheme s = 2, z = 2"; "We generally observe during training
# that models with overlapping pooling find it slightly more difficult to overfit."
POOL_GAIN_TOP1 = 0.004
POOL_GAIN_TOP5 = 0.003
# §4.2: "Dropout roughly doubles the number of iterations required to converge."
DROPOUT_ITERATIONS_FACTOR = 2.0

# Abstract: "The neural network, which has 60 million parameters and 650,000 neurons".
# The exact count of the network described in §3.5 (weights and biases, 1000 classes):
NUM_PARAMETERS = 60_965_224


@dataclass(frozen=True)
class Conv:
    """A convolutional layer: ``out_channels`` kernels of ``kernel``×``kernel``.

    ``groups=2`` means each kernel sees only the feature maps of its own column (GPU), as the paper
    says of conv2, conv4 and conv5: "The kernels of the second, fourth, and fifth convolutional
    layers are connected only to those kernel maps in the previous layer which reside on the same
    GPU" (§3.5).
    """

    name: str
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1


@dataclass(frozen=True)
class LRN:
    """Local response normalisation (§3.3): keeps the shape."""

    name: str


@dataclass(frozen=True)
class Pool:
    """Overlapping max-pooling (§3.4): z = 3, s = 2."""

    name: str
    kernel: int = POOL_KERNEL
    stride: int = POOL_STRIDE


@dataclass(frozen=True)
class FC:
    """A fully-connected layer (§3.5: "The fully-connected layers have 4096 neurons each")."""

    name: str
    out_features: int


Layer = Union[Conv, LRN, Pool, FC]

# §3.5, layer by layer. ReLU follows every conv and fc layer but fc8 and dropout follows fc6 and
# fc7; neither changes a shape, so they are not listed. The paddings are not stated in the paper:
# they are the ones that keep the 27×27 and 13×13 maps of Figure 2 (cuda-convnet2's public ImageNet
# layer file, layers-imagenet-1gpu.cfg, uses the same paddings 0/2/1/1/1, for its 2014 variant).
ARCHITECTURE: tuple[Layer, ...] = (
    Conv("conv1", 96, 11, stride=4),
    LRN("lrn1"),
    Pool("pool1"),
    Conv("conv2", 256, 5, padding=2, groups=2),
    LRN("lrn2"),
    Pool("pool2"),
    Conv("conv3", 384, 3, padding=1),
    Conv("conv4", 384, 3, padding=1, groups=2),
    Conv("conv5", 256, 3, padding=1, groups=2),
    Pool("pool5"),
    FC("fc6", 4096),
    FC("fc7", 4096),
    FC("fc8", NUM_CLASSES),
)
