import os

import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset
import hpsearch as optuna

# The seed article's Optuna program. Changes: the import line above, and real data,
# training and evaluation in place of its placeholders (the lines marked "real").


def train_model(model, train_loader, optimizer, criterion, epochs):
    # real: plain minibatch training
    model.train()
    for _ in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()


def evaluate(model, x, y):
    # real: accuracy on the validation split
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


# Example model
class SimpleModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(SimpleModel, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = self.fc1(x)
        x = self.relu(x)
        x = self.fc2(x)
        return x

# Example Data -- real: scikit-learn's digits (64 features, 10 classes), 25% held out
torch.set_num_threads(1)
digits = load_digits()
input_data = torch.tensor(digits.data / 16.0, dtype=torch.float32)
target_data = torch.tensor(digits.target, dtype=torch.long)
x_train, x_val, y_train, y_val = train_test_split(
    input_data, target_data, test_size=0.25, random_state=0, stratify=target_data)
dataset = TensorDataset(x_train, y_train)
data_loader = DataLoader(dataset, batch_size=64, shuffle=True)



def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    hidden_size = trial.suggest_int("hidden_size", 32, 256)
    epochs = trial.suggest_int("epochs", 5, 25)

    torch.manual_seed(trial.number)  # real: reproducible initialization
    model = SimpleModel(64, hidden_size, 10)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)

    # Training
    train_model(model, data_loader, optimizer, criterion, epochs)
    # Evaluation
    val_accuracy = evaluate(model, x_val, y_val)
    return val_accuracy

study = optuna.create_study(direction="maximize")
study.optimize(objective, n_trials=int(os.environ.get("HPS_EXAMPLE_TRIALS", "10")))

print(f"Best hyperparameters: {study.best_params}, accuracy {study.best_value}")
