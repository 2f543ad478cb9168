"""MATLAB's training and inference API: trainingOptions, trainnet, minibatchpredict, testnet."""
from .inference import minibatchpredict, testnet
from .options import TrainingOptions, trainingOptions
from .progress import TrainingInfo
from .trainnet import trainnet

__all__ = ["TrainingOptions", "TrainingInfo", "minibatchpredict", "testnet", "trainingOptions", "trainnet"]
