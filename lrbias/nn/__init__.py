"""Neural-network experiments of the paper (needs the ``nn`` extra: torch, torchvision, scikit-learn).

Modules: :mod:`.config` (run configuration, torch-free validation), :mod:`.data`, :mod:`.models`,
:mod:`.losses`, :mod:`.sharpness` (Lanczos on exact HVPs), :mod:`.trainer` (full-batch GD),
:mod:`.phenomena` (EoS, catapult, balancing, divergence verdicts), :mod:`.claims` (the paper's NN
claims as declarative specs).  Importing this package does not import torch.
"""
