global using Microsoft.ML;
global using Xunit;
