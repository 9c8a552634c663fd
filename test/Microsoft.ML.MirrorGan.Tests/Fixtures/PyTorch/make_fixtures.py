#!/usr/bin/env python3
"""Writes the tiny PyTorch checkpoints and expected outputs the import tests read (run once; CI needs no Python).

The networks are written here from the paper and the published descriptions of AttnGAN's and MirrorGAN's modules
(docs/paper-fidelity.md lists them), not copied from the authors' code; only the parameter names follow the original
modules, because those are what a real checkpoint contains. Requires Debian's python3-torch (1.13):  /usr/bin/python3 make_fixtures.py
Legacy containers key their storages by memory address, so a rerun rewrites every legacy file with different bytes
but the same tensors; commit only the files whose content changed (`git checkout` the others).
"""
import json, math, os, pickle
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)

OUT = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)


def glu(x):  # first half times sigmoid of the second half, along dim 1
    n = x.size(1) // 2
    return x[:, :n] * torch.sigmoid(x[:, n:])


class GLU(nn.Module):
    def forward(self, x):
        return glu(x)


def conv3x3(i, o):
    return nn.Conv2d(i, o, 3, 1, 1, bias=False)


def conv1x1(i, o):
    return nn.Conv2d(i, o, 1, 1, 0, bias=False)


def up_block(i, o):  # nearest x2, conv3x3 -> 2o, BN, GLU
    return nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'), conv3x3(i, o * 2), nn.BatchNorm2d(o * 2), GLU())


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block = nn.Sequential(conv3x3(c, 2 * c), nn.BatchNorm2d(2 * c), GLU(), conv3x3(c, c), nn.BatchNorm2d(c))

    def forward(self, x):
        return self.block(x) + x


# ---- STEM text encoder (spec 1.2): Embedding -> dropout -> packed BiLSTM ---------------------------------------
class TextEncoder(nn.Module):
    def __init__(self, n_words, emb, hidden):
        super().__init__()
        self.encoder = nn.Embedding(n_words, emb)
        self.drop = nn.Dropout(0.5)
        self.rnn = nn.LSTM(emb, hidden, 1, batch_first=True, bidirectional=True)

    def forward(self, ids, lens):
        order = torch.argsort(lens, descending=True)
        inv = torch.argsort(order)
        e = self.drop(self.encoder(ids[order]))
        packed = nn.utils.rnn.pack_padded_sequence(e, lens[order], batch_first=True)
        out, (h, _) = self.rnn(packed)
        out = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0]
        words = out.transpose(1, 2)[inv]
        sent = h.transpose(0, 1).contiguous().view(ids.size(0), -1)[inv]
        return words, sent


# ---- GLAM generator (spec 1.4 and 3) --------------------------------------------------------------------------
class CA(nn.Module):
    def __init__(self, t, c):
        super().__init__()
        self.c = c
        self.fc = nn.Linear(t, 4 * c)

    def forward(self, s):
        x = glu(self.fc(s))
        return x[:, :self.c], x[:, self.c:]


class InitStage(nn.Module):
    def __init__(self, ngf16, nz):
        super().__init__()
        self.c = ngf16
        self.fc = nn.Sequential(nn.Linear(nz, ngf16 * 16 * 2, bias=False), nn.BatchNorm1d(ngf16 * 16 * 2), GLU())
        self.upsample1 = up_block(ngf16, ngf16 // 2)
        self.upsample2 = up_block(ngf16 // 2, ngf16 // 4)
        self.upsample3 = up_block(ngf16 // 4, ngf16 // 8)
        self.upsample4 = up_block(ngf16 // 8, ngf16 // 16)

    def forward(self, z, c):
        h = self.fc(torch.cat((c, z), 1)).view(-1, self.c, 4, 4)
        return self.upsample4(self.upsample3(self.upsample2(self.upsample1(h))))


class Attention(nn.Module):  # word attention + MirrorGAN sentence attention, one module as in the original
    def __init__(self, ngf, nef, ncf):
        super().__init__()
        self.conv_context = conv1x1(nef, ngf)
        self.conv_sentence_vis = conv1x1(ngf, ngf)
        self.linear = nn.Linear(ncf, ngf)

    def forward(self, h, c, words, mask):
        b, ch, hh, ww = h.shape
        q, l = hh * ww, words.size(2)
        e = self.conv_context(words.unsqueeze(3)).squeeze(3)              # B x C x L
        logits = torch.bmm(h.view(b, ch, q).transpose(1, 2), e)           # B x Q x L
        logits = logits.reshape(b * q, l).masked_fill(mask.repeat(q, 1), float('-inf'))  # the tiling of AttnGAN #93
        beta = torch.softmax(logits, 1).view(b, q, l)
        cw = torch.bmm(e, beta.transpose(1, 2)).view(b, ch, hh, ww)
        s = self.linear(c).view(b, ch, 1, 1)
        a = torch.softmax(self.conv_sentence_vis(h * s), 1)               # over channels
        return cw, s * a, beta.transpose(1, 2).reshape(b, l, hh, ww)


class NextStage(nn.Module):
    def __init__(self, ngf, nef, ncf, r_num):
        super().__init__()
        self.att = Attention(ngf, nef, ncf)
        self.conv = conv1x1(3 * ngf, 2 * ngf)
        self.residual = nn.Sequential(*[ResBlock(2 * ngf) for _ in range(r_num)])
        self.upsample = up_block(2 * ngf, ngf)

    def forward(self, h, c, words, mask):
        cw, cs, att = self.att(h, c, words, mask)
        return self.upsample(self.residual(self.conv(torch.cat((h, cw, cs), 1)))), att


class ImageHead(nn.Module):
    def __init__(self, ngf):
        super().__init__()
        self.img = nn.Sequential(conv3x3(ngf, 3), nn.Tanh())

    def forward(self, h):
        return self.img(h)


class Generator(nn.Module):
    def __init__(self, ngf, nef, ncf, nz, r_num):
        super().__init__()
        self.ca_net = CA(nef, ncf)
        self.h_net1, self.img_net1 = InitStage(ngf * 16, ncf + nz), ImageHead(ngf)
        self.h_net2, self.img_net2 = NextStage(ngf, nef, ncf, r_num), ImageHead(ngf)
        self.h_net3, self.img_net3 = NextStage(ngf, nef, ncf, r_num), ImageHead(ngf)

    def forward(self, z, c, words, mask):  # c: the condition code (the CA sample is drawn outside, to be comparable)
        h1 = self.h_net1(z, c)
        h2, a1 = self.h_net2(h1, c, words, mask)
        h3, a2 = self.h_net3(h2, c, words, mask)
        return [self.img_net1(h1), self.img_net2(h2), self.img_net3(h3)], [a1, a2]


# ---- STREAM (spec 5.1): ResNet trunk (torchvision layout) -> Linear -> BN1d; Embedding -> LSTM -> Linear ---------
class Bottleneck(nn.Module):
    def __init__(self, i, planes, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(i, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = nn.Conv2d(planes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or i != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(i, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


def resnet_trunk(width, blocks):  # children order: conv1, bn1, relu, maxpool, layer1..4, avgpool (the original's resnet.N)
    layers, i = [], width
    for s, n in enumerate(blocks):
        stage = []
        for b in range(n):
            stage.append(Bottleneck(i, width << s, 2 if s > 0 and b == 0 else 1))
            i = (width << s) * 4
        layers.append(nn.Sequential(*stage))
    return nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                         nn.MaxPool2d(3, 2, 1), *layers, nn.AdaptiveAvgPool2d(1)), i


class CaptionCnn(nn.Module):
    def __init__(self, width, blocks, embed):
        super().__init__()
        self.resnet, out = resnet_trunk(width, blocks)
        self.linear = nn.Linear(out, embed)
        self.bn = nn.BatchNorm1d(embed, momentum=0.01)

    def forward(self, images):  # [-1, 1] images, bilinear resize to 224 only
        x = F.interpolate(images, size=(224, 224), mode='bilinear', align_corners=False)
        return self.bn(self.linear(self.resnet(x).flatten(1)))


class CaptionRnn(nn.Module):
    def __init__(self, embed, hidden, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, 1, batch_first=True)
        self.linear = nn.Linear(hidden, vocab)

    def forward(self, features, tokens):  # teacher forcing, unpacked: [f, emb(w1..wT)] -> logits for every step
        x = torch.cat((features.unsqueeze(1), self.embed(tokens)), 1)
        return self.linear(self.lstm(x)[0])


# ---- DAMSM image encoder (spec 2.1): torchvision Inception-v3 trunk (widths / div) + emb_features + emb_cnn_code -------
class BasicConv2d(nn.Module):  # conv (no bias) -> BN(eps 0.001) -> ReLU
    def __init__(self, i, o, k, s=1, p=0):
        super().__init__()
        self.conv = nn.Conv2d(i, o, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(o, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg3(x):
    return F.avg_pool2d(x, 3, 1, 1)


class InceptionA(nn.Module):
    def __init__(self, i, pool, d):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 64 // d, 1)
        self.branch5x5_1, self.branch5x5_2 = BasicConv2d(i, 48 // d, 1), BasicConv2d(48 // d, 64 // d, 5, p=2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64 // d, 1)
        self.branch3x3dbl_2 = BasicConv2d(64 // d, 96 // d, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96 // d, 96 // d, 3, p=1)
        self.branch_pool = BasicConv2d(i, pool, 1)
        self.out = (64 + 64 + 96) // d + pool

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))), self.branch_pool(avg3(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, i, d):
        super().__init__()
        self.branch3x3 = BasicConv2d(i, 384 // d, 3, s=2)
        self.branch3x3dbl_1 = BasicConv2d(i, 64 // d, 1)
        self.branch3x3dbl_2 = BasicConv2d(64 // d, 96 // d, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96 // d, 96 // d, 3, s=2)
        self.out = (384 + 96) // d + i

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class InceptionC(nn.Module):
    def __init__(self, i, c7, d):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 192 // d, 1)
        self.branch7x7_1 = BasicConv2d(i, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), p=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192 // d, (7, 1), p=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(i, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), p=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), p=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), p=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192 // d, (1, 7), p=(0, 3))
        self.branch_pool = BasicConv2d(i, 192 // d, 1)
        self.out = 4 * 192 // d

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for k in range(2, 6):
            bd = getattr(self, 'branch7x7dbl_%d' % k)(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(avg3(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, i, d):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = BasicConv2d(i, 192 // d, 1), BasicConv2d(192 // d, 320 // d, 3, s=2)
        self.branch7x7x3_1 = BasicConv2d(i, 192 // d, 1)
        self.branch7x7x3_2 = BasicConv2d(192 // d, 192 // d, (1, 7), p=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192 // d, 192 // d, (7, 1), p=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192 // d, 192 // d, 3, s=2)
        self.out = (320 + 192) // d + i

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(nn.Module):
    def __init__(self, i, d):
        super().__init__()
        self.branch1x1 = BasicConv2d(i, 320 // d, 1)
        self.branch3x3_1 = BasicConv2d(i, 384 // d, 1)
        self.branch3x3_2a = BasicConv2d(384 // d, 384 // d, (1, 3), p=(0, 1))
        self.branch3x3_2b = BasicConv2d(384 // d, 384 // d, (3, 1), p=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(i, 448 // d, 1)
        self.branch3x3dbl_2 = BasicConv2d(448 // d, 384 // d, 3, p=1)
        self.branch3x3dbl_3a = BasicConv2d(384 // d, 384 // d, (1, 3), p=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384 // d, 384 // d, (3, 1), p=(1, 0))
        self.branch_pool = BasicConv2d(i, 192 // d, 1)
        self.out = (320 + 4 * 384 + 192) // d

    def forward(self, x):
        t = self.branch3x3_1(x)
        u = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(t), self.branch3x3_2b(t),
                          self.branch3x3dbl_3a(u), self.branch3x3dbl_3b(u), self.branch_pool(avg3(x))], 1)


class ImageEncoder(nn.Module):  # CNN_ENCODER: the Inception layers are direct attributes, then the two projections
    def __init__(self, d, nef):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32 // d, 3, s=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32 // d, 32 // d, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32 // d, 64 // d, 3, p=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64 // d, 80 // d, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80 // d, 192 // d, 3)
        self.Mixed_5b = InceptionA(192 // d, 32 // d, d)
        self.Mixed_5c = InceptionA(self.Mixed_5b.out, 64 // d, d)
        self.Mixed_5d = InceptionA(self.Mixed_5c.out, 64 // d, d)
        self.Mixed_6a = InceptionB(self.Mixed_5d.out, d)
        self.Mixed_6b = InceptionC(self.Mixed_6a.out, 128 // d, d)
        self.Mixed_6c = InceptionC(self.Mixed_6b.out, 160 // d, d)
        self.Mixed_6d = InceptionC(self.Mixed_6c.out, 160 // d, d)
        self.Mixed_6e = InceptionC(self.Mixed_6d.out, 192 // d, d)
        self.Mixed_7a = InceptionD(self.Mixed_6e.out, d)
        self.Mixed_7b = InceptionE(self.Mixed_7a.out, d)
        self.Mixed_7c = InceptionE(self.Mixed_7b.out, d)
        self.emb_features = conv1x1(self.Mixed_6e.out, nef)
        self.emb_cnn_code = nn.Linear(self.Mixed_7c.out, nef)

    def forward(self, x):  # [-1, 1] images, bilinear resize to 299, no normalisation
        x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        for name in ['5b', '5c', '5d', '6a', '6b', '6c', '6d', '6e']:
            x = getattr(self, 'Mixed_' + name)(x)
        features = x
        for name in ['7a', '7b', '7c']:
            x = getattr(self, 'Mixed_' + name)(x)
        code = self.emb_cnn_code(F.avg_pool2d(x, 8).flatten(1))
        return self.emb_features(features), code


# ---- Discriminators (spec 4): names img_code_s16 / s32 / s32_1 / s64 / s64_1 / s64_2, UNCOND_DNET, COND_DNET ----
def lrelu():
    return nn.LeakyReLU(0.2)


def down_block(i, o):  # conv 4x4 s2 p1 (no bias) -> BN -> LReLU
    return nn.Sequential(nn.Conv2d(i, o, 4, 2, 1, bias=False), nn.BatchNorm2d(o), lrelu())


def block3x3_lrelu(i, o):  # conv3x3 (no bias) -> BN -> LReLU
    return nn.Sequential(conv3x3(i, o), nn.BatchNorm2d(o), lrelu())


class Logits(nn.Module):  # D_GET_LOGITS
    def __init__(self, ndf, nef, cond):
        super().__init__()
        if cond:
            self.jointConv = block3x3_lrelu(ndf * 8 + nef, ndf * 8)
        self.outlogits = nn.Sequential(nn.Conv2d(ndf * 8, 1, 4, 4), nn.Sigmoid())


class Discriminator(nn.Module):
    def __init__(self, size, ndf, nef):
        super().__init__()
        self.nef = nef
        self.img_code_s16 = nn.Sequential(nn.Conv2d(3, ndf, 4, 2, 1, bias=False), lrelu(), *down_block(ndf, ndf * 2),
                                          *down_block(ndf * 2, ndf * 4), *down_block(ndf * 4, ndf * 8))
        self.chain = ['img_code_s16']
        if size == 128:
            self.img_code_s32, self.img_code_s32_1 = down_block(ndf * 8, ndf * 16), block3x3_lrelu(ndf * 16, ndf * 8)
            self.chain += ['img_code_s32', 'img_code_s32_1']
        if size == 256:
            self.img_code_s32 = down_block(ndf * 8, ndf * 16)
            self.img_code_s64 = down_block(ndf * 16, ndf * 32)
            self.img_code_s64_1 = block3x3_lrelu(ndf * 32, ndf * 16)
            self.img_code_s64_2 = block3x3_lrelu(ndf * 16, ndf * 8)
            self.chain += ['img_code_s32', 'img_code_s64', 'img_code_s64_1', 'img_code_s64_2']
        self.UNCOND_DNET = Logits(ndf, nef, False)
        self.COND_DNET = Logits(ndf, nef, True)

    def img_code(self, x):
        for name in self.chain:
            x = getattr(self, name)(x)
        return x

    def uncond(self, h):
        return self.UNCOND_DNET.outlogits(h).view(-1)

    def cond(self, h, sent):  # the raw sentence feature, tiled to the map and concatenated after the features
        c = sent.view(-1, self.nef, 1, 1).repeat(1, 1, h.size(2), h.size(3))
        return self.COND_DNET.outlogits(self.COND_DNET.jointConv(torch.cat((h, c), 1))).view(-1)


def pattern(b, c, h, w):
    """A deterministic test image in [-1, 1] that C# recomputes (Math.Sin/Cos in double, then float), so the large
    inputs of the image encoder and the 256-px discriminator need not be stored in expected.json."""
    v = [math.sin(0.37 * x + 0.61 * y + 1.3 * k + 2.1 * n) * math.cos(0.011 * x * y + 0.7 * k)
         for n in range(b) for k in range(c) for y in range(h) for x in range(w)]
    return torch.tensor(v, dtype=torch.float64).float().view(b, c, h, w)


def calibrate_bn(module, run):
    """Sets every BatchNorm's running statistics to those of one calibration pass (momentum 1, training mode), then
    randomises the affine part: deep random networks otherwise shrink or blow up their activations, and a parity test
    on outputs near zero would prove little."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 1.0
    module.train()
    run(module)
    module.eval()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.7, 1.3)
            m.bias.data.uniform_(-0.2, 0.2)
            m.num_batches_tracked.fill_(17)


def randomise_bn(module):
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.7, 1.3)
            m.bias.data.uniform_(-0.2, 0.2)
            m.num_batches_tracked.fill_(17)


def flat(t, stride=1):
    return [round(float(v), 7) for v in t.detach().reshape(-1)[::stride]]


def save(obj, name, legacy):
    torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=not legacy)


expected = {}
with torch.no_grad():
    # Vocabulary pickle: [train_captions, test_captions, ixtoword, wordtoix], protocol 2 as the authors' Python 2 wrote.
    words = ['<end>', 'a', 'small', 'bird', 'with', 'red', 'wings', 'and', 'black', 'beak', 'this']
    ixtoword = {i: w for i, w in enumerate(words)}
    wordtoix = {w: i for i, w in enumerate(words)}
    with open(os.path.join(OUT, 'captions.pickle'), 'wb') as f:
        pickle.dump([[[1, 2, 3], [10, 3]], [[1, 3, 4, 5, 6]], ixtoword, wordtoix], f, protocol=2)

    # Text encoder: n_words 11, embedding 7, hidden 5 per direction (D = 10); both container formats.
    te = TextEncoder(len(words), 7, 5).eval()
    save(te.state_dict(), 'text_encoder_legacy.pth', True)
    save(te.state_dict(), 'text_encoder_zip.pth', False)
    ids = torch.tensor([[1, 2, 3, 4, 0], [10, 3, 0, 0, 0], [1, 3, 4, 5, 6]])
    lens = torch.tensor([4, 2, 5])
    w, s = te(ids, lens)
    expected['text'] = {'ids': ids.tolist(), 'lengths': lens.tolist(), 'words': flat(w), 'words_shape': list(w.shape), 'sentence': flat(s)}

    # Generator: ngf 2, nef 10, ncf 3, z 4, R_NUM 1, three stages; legacy container (the authors' format).
    g = Generator(2, 10, 3, 4, 1).eval()
    randomise_bn(g)
    save(g.state_dict(), 'netG_legacy.pth', True)
    sent = torch.randn(2, 10)
    mu, logvar = g.ca_net(sent)
    z = torch.randn(2, 4)
    wf = torch.randn(2, 10, 4)
    mask = torch.tensor([[False, False, False, False], [False, False, True, True]])
    wf[1, :, 2:] = 0
    imgs, atts = g(z, mu, wf, mask)
    expected['generator'] = {
        'sentence': flat(sent), 'mu': flat(mu), 'logvar': flat(logvar), 'z': flat(z), 'words': flat(wf), 'mask': mask.tolist(),
        'img64': flat(imgs[0], 7), 'img128': flat(imgs[1], 29), 'img256': flat(imgs[2], 113),
        'att64': flat(atts[0], 5), 'att128': flat(atts[1], 19),
        'strides': [7, 29, 113, 5, 19]}

    # STREAM: bottleneck ResNet width 2, one block per stage (the ResNet-152 layout, shrunk), embed 6; hidden 8, vocab 11.
    cnn = CaptionCnn(2, [1, 1, 1, 1], 6).eval()
    randomise_bn(cnn)
    save(cnn.state_dict(), 'caption_cnn_legacy.pth', True)
    rnn = CaptionRnn(6, 8, len(words)).eval()
    save(rnn.state_dict(), 'caption_rnn_zip.pth', False)
    images = torch.rand(2, 3, 40, 48) * 2 - 1
    feats = cnn(images)
    tokens = torch.tensor([[1, 2, 3], [10, 3, 0]])
    logits = rnn(feats, tokens)
    expected['stream'] = {'images': flat(images), 'images_shape': list(images.shape), 'features': flat(feats),
                          'tokens': tokens.tolist(), 'logits': flat(logits), 'logits_shape': list(logits.shape)}

# ---- DAMSM image encoder (spec 2.1) and discriminators (spec 4): their own seed, so the fixtures above keep their bytes.
torch.manual_seed(11)
calibrate = torch.rand(4, 3, 64, 64) * 2 - 1
with torch.no_grad():
    # CNN_ENCODER: torchvision Inception-v3 with every width divided by 16, nef 10; the legacy container (the authors').
    cnn = ImageEncoder(16, 10)
    calibrate_bn(cnn, lambda m: m(calibrate))
    save(cnn.state_dict(), 'image_encoder_legacy.pth', True)
    images = pattern(2, 3, 64, 64)
    regions, code = cnn(images)
    expected['image_encoder'] = {'images_shape': list(images.shape), 'regions': flat(regions, 7),
                                 'regions_shape': list(regions.shape), 'regions_stride': 7, 'cnn_code': flat(code)}

    # Discriminators, nef 10: D_NET128 (ndf 2) in both containers, D_NET256 (ndf 1, to stay small) in the legacy one.
    for size, ndf, containers in ((128, 2, ('legacy', 'zip')), (256, 1, ('legacy',))):
        d = Discriminator(size, ndf, 10)
        calibrate_bn(d, lambda m: m.img_code(F.interpolate(calibrate, size=(size, size), mode='nearest')))
        for c in containers:
            save(d.state_dict(), 'netD%d_%s.pth' % (size, c), c == 'legacy')
        images = pattern(2, 3, size, size)
        sent = torch.randn(2, 10)
        feats = d.img_code(images)
        expected['netD%d' % size] = {'ndf': ndf, 'sentence': flat(sent), 'features': flat(feats),
                                     'features_shape': list(feats.shape), 'uncond': flat(d.uncond(feats)), 'cond': flat(d.cond(feats, sent))}

with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    json.dump(expected, f)
print('fixtures written to', OUT)
