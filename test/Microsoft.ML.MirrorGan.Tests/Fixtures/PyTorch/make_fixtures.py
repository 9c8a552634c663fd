#!/usr/bin/env python3
"""Writes the tiny PyTorch checkpoints and expected outputs the import tests read (run once; CI needs no Python).

The networks are written here from ../../../../../shared/MIRRORGAN_SPEC.md (sections 1.2, 1.4, 3, 5.1), not copied
from the authors' code; only the parameter names follow the original modules, because those are what a real
checkpoint contains. Requires Debian's python3-torch (1.13):  /usr/bin/python3 make_fixtures.py
"""
import json, os, pickle
import torch
import torch.nn as nn
import torch.nn.functional as F

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

with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    json.dump(expected, f)
print('fixtures written to', OUT)
