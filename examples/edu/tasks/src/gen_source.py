#!/usr/bin/env python3
# kiln:
#   type: python
#   schedule: "0 1 * * *"
#   timeout: 10m
#   retries: 2
#   memory_limit_mb: 1024
#   owner: platform-team
#   tier: core
#   tags: [edu, source]
#   description: >-
#     Simulates the business systems of the online school: writes one day's
#     snapshot of students, teachers, courses and classes and that day's
#     lessons, attendance, orders and refunds as CSV files under
#     source_dir/dt=BIZDATE/. Deterministic: the same bizdate always gives
#     byte-identical files.
"""Deterministic source data for the edu demo.

Environment:
  KILN_BIZDATE     the business date, YYYY-MM-DD
  KILN_SOURCE_DIR  the folder that receives dt=<bizdate>/<table>.csv

Every value comes from random.Random instances seeded from the bizdate (daily
events) or from an entity id (snapshot rows), and only Random.random() is
used, whose sequence Python guarantees across versions. Nothing reads the
clock, so the same bizdate always yields byte-identical files. Each file is
written to a temporary name and renamed into place, so a killed run never
leaves half a file; _manifest.json is written last.

Snapshots evolve with the date: students register every day, grades move up
each September, some students move city or churn, teachers are hired and
leave, courses launch and go off shelf, and classes start and finish.
"""

import bisect
import csv
import datetime as dt
import hashlib
import json
import os
import random
import sys
import time

EPOCH = dt.date(2023, 1, 1)        # snapshot growth starts here
CLASS_EPOCH = dt.date(2022, 6, 1)  # class number 0 starts here
CLASSES_PER_DAY = 28               # classes that start each day
BASE_STUDENTS = 15000
STUDENTS_PER_DAY = 12
BASE_TEACHERS = 460
BASE_COURSES = 180

SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
            "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
            "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"]
GIVEN = ["Zihan", "Yutong", "Haoran", "Yichen", "Xinyi", "Muchen", "Ruoxi", "Zimo", "Yuxuan",
         "Jiayi", "Tianyu", "Shiyu", "Junjie", "Kexin", "Hao", "Ning", "Lei", "Jing", "Min",
         "Yue", "Xiaoyu", "Chenxi", "Bowen", "Siyu", "Yiming", "Wenjing", "Qian", "Tao", "Yan",
         "Zhiyuan", "Anqi", "Mengyao", "Yifan", "Jiahao", "Ziyi", "Runze", "Xuan", "Hanyu"]
CITIES = [  # city, province, weight
    ("Shanghai", "Shanghai", 14), ("Beijing", "Beijing", 13), ("Shenzhen", "Guangdong", 9),
    ("Guangzhou", "Guangdong", 8), ("Hangzhou", "Zhejiang", 8), ("Chengdu", "Sichuan", 7),
    ("Nanjing", "Jiangsu", 6), ("Suzhou", "Jiangsu", 6), ("Wuhan", "Hubei", 6),
    ("Chongqing", "Chongqing", 5), ("Xi'an", "Shaanxi", 5), ("Tianjin", "Tianjin", 4),
    ("Changsha", "Hunan", 4), ("Zhengzhou", "Henan", 4), ("Qingdao", "Shandong", 3),
    ("Jinan", "Shandong", 3), ("Hefei", "Anhui", 3), ("Ningbo", "Zhejiang", 3),
    ("Xiamen", "Fujian", 2), ("Fuzhou", "Fujian", 2), ("Kunming", "Yunnan", 2),
    ("Shenyang", "Liaoning", 2), ("Harbin", "Heilongjiang", 1), ("Nanning", "Guangxi", 1),
]
SUBJECTS = [("math", 26), ("english", 22), ("chinese", 16), ("physics", 10),
            ("chemistry", 7), ("programming", 9), ("biology", 4), ("art", 6)]
CHANNELS = [("app_store", 30), ("douyin", 22), ("wechat", 25), ("referral", 12),
            ("baidu", 6), ("offline", 5)]
ORDER_CHANNELS = [("app", 55), ("mini_program", 25), ("web", 12), ("sales_call", 8)]
PAY_METHODS = [("wechat_pay", 55), ("alipay", 38), ("bank_card", 5), ("huabei", 2)]
COUPONS = [("NEWSTU100", 10000, 0), ("SPRING50", 5000, 0), ("VIP20OFF", 0, 20),
           ("FRIEND30", 3000, 0), ("CAMP15OFF", 0, 15), ("RENEW10OFF", 0, 10)]
REFUND_REASONS = [("schedule_conflict", 30), ("teacher_mismatch", 12), ("too_difficult", 15),
                  ("price", 10), ("duplicate_purchase", 8), ("moved_to_offline_school", 6),
                  ("quality_complaint", 9), ("other", 10)]
DEVICES = [("app_ios", 34), ("app_android", 38), ("pad", 16), ("web", 9), ("tv", 3)]
COURSE_TYPES = [("live_small", 40), ("live_large", 30), ("recorded", 18), ("camp", 12)]
BANDS = ["primary", "junior_high", "senior_high"]
LEVELS = ["junior", "senior", "expert", "master"]
CLOCKS = [8 * 60 + 30, 10 * 60, 14 * 60, 16 * 60, 18 * 60 + 30, 19 * 60, 19 * 60 + 30, 20 * 60]
# Order volume by hour of the day (Asia/Shanghai): quiet nights, evening peak.
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 4, 8, 12, 14, 15, 15, 17, 15, 14, 14, 15, 17,
                22, 28, 32, 30, 20, 8]


# ---------------------------------------------------------------- helpers


def rng(*parts):
    """A Random seeded from integers: stable across runs and Python versions."""
    seed = 0
    for p in parts:
        seed = (seed * 1000003 + p) % (1 << 61)
    return random.Random(seed)


def below(r, n):
    return int(r.random() * n)


def between(r, lo, hi):
    """An integer in [lo, hi]."""
    return lo + int(r.random() * (hi - lo + 1))


def pick(r, seq):
    return seq[int(r.random() * len(seq))]


class Weighted:
    """Choice among (value, weight, ...) tuples by weight."""

    def __init__(self, items):
        self.values = [it[0] for it in items]
        self.items = items
        total = 0
        self.cum = []
        for it in items:
            total += it[-1]
            self.cum.append(total)
        self.total = total

    def __call__(self, r):
        return self.values[bisect.bisect_right(self.cum, r.random() * self.total)]

    def item(self, r):
        return self.items[bisect.bisect_right(self.cum, r.random() * self.total)]


W_CITY = Weighted(CITIES)
W_SUBJECT = Weighted(SUBJECTS)
W_CHANNEL = Weighted(CHANNELS)
W_ORDER_CHANNEL = Weighted(ORDER_CHANNELS)
W_PAY = Weighted(PAY_METHODS)
W_REASON = Weighted(REFUND_REASONS)
W_DEVICE = Weighted(DEVICES)
W_COURSE_TYPE = Weighted(COURSE_TYPES)
W_RATING = Weighted([(5, 55), (4, 28), (3, 10), (2, 4), (1, 3)])
W_REFUND_STATUS = Weighted([("approved", 80), ("pending", 12), ("rejected", 8)])
W_VIP = Weighted([(0, 60), (1, 25), (2, 11), (3, 4)])
W_GRADE = Weighted([(1, 10), (2, 10), (3, 11), (4, 11), (5, 11), (6, 10), (7, 9), (8, 9), (9, 8),
                    (10, 5), (11, 4), (12, 2)])


def money(cents):
    return "%d.%02d" % (cents // 100, cents % 100)


def ymd(d):
    return d.isoformat()


def ts(d, seconds):
    """'YYYY-MM-DD HH:MM:SS' for a second of the day (may spill into the next day)."""
    if seconds >= 86400 or seconds < 0:
        d = d + dt.timedelta(days=seconds // 86400)
        seconds %= 86400
    return "%s %02d:%02d:%02d" % (d.isoformat(), seconds // 3600, seconds // 60 % 60, seconds % 60)


def dnum(d):
    """20240301 for 2024-03-01."""
    return d.year * 10000 + d.month * 100 + d.day


def days_since(d, base):
    return (d - base).days


def person_name(r):
    return pick(r, SURNAMES) + " " + pick(r, GIVEN)


def sept_firsts_between(a, b):
    """Number of September 1sts in (a, b]."""
    n = 0
    for y in range(a.year, b.year + 1):
        s = dt.date(y, 9, 1)
        if a < s <= b:
            n += 1
    return n


# ---------------------------------------------------------------- snapshots


def n_students(d):
    """Students registered by the end of d."""
    days = days_since(d, EPOCH)
    return BASE_STUDENTS + (STUDENTS_PER_DAY * (days + 1) if days >= 0 else 0)


def student_row(sid, d):
    """The student's row in the snapshot of d, and the first day the student
    no longer studies (graduated or churned), which does not depend on d."""
    r = rng(1, sid)
    if sid <= BASE_STUDENTS:
        reg = dt.date(2021, 9, 1) + dt.timedelta(days=below(r, 480))
    else:
        reg = EPOCH + dt.timedelta(days=(sid - BASE_STUDENTS - 1) // STUDENTS_PER_DAY)
        r.random()
    reg_sec = between(r, 7 * 3600, 23 * 3600)
    base_grade = W_GRADE(r)
    gender = "F" if r.random() < 0.49 else "M"
    if r.random() < 0.03:
        gender = None
    name = person_name(r)
    city, province, _ = W_CITY.item(r)
    if r.random() < 0.04:
        city, province = None, None
    birth = dt.date(reg.year - base_grade - 6, 1, 1) + dt.timedelta(days=below(r, 365))
    channel = W_CHANNEL(r)
    vip = W_VIP(r)
    school_no = between(r, 1, 60)
    has_school = r.random() < 0.7
    move_day = reg + dt.timedelta(days=between(r, 30, 900)) if r.random() < 0.08 else None
    new_city = W_CITY.item(r)
    churn_day = reg + dt.timedelta(days=between(r, 45, 700)) if r.random() < 0.22 else None
    change_sec = between(r, 1 * 3600, 5 * 3600)

    changes = [(reg, reg_sec)]
    grade = base_grade + sept_firsts_between(reg, d)
    if grade != base_grade:
        changes.append((dt.date(d.year if d >= dt.date(d.year, 9, 1) else d.year - 1, 9, 1), change_sec))
    if move_day is not None and move_day <= d:
        city, province = new_city[0], new_city[1]
        changes.append((move_day, change_sec))
    status = "active"
    if grade > 12:
        status = "graduated"
    elif churn_day is not None and churn_day <= d:
        status = "churned"
        changes.append((churn_day, change_sec))
    last = max(changes)
    first_sept = dt.date(reg.year if reg < dt.date(reg.year, 9, 1) else reg.year + 1, 9, 1)
    until = dt.date(first_sept.year + 12 - base_grade, 9, 1)  # the September the student finishes G12
    if churn_day is not None and churn_day < until:
        until = churn_day
    grade_s = "G%d" % grade if grade <= 12 else "alumni"
    band = "primary" if grade <= 6 else ("junior_high" if grade <= 9 else "senior_high")
    kind = {"primary": "Primary", "junior_high": "Middle", "senior_high": "High"}[band]
    school = "%s %s School No.%d" % (city, kind, school_no) if has_school and city and grade <= 12 else None
    row = (sid, name, gender, ymd(birth), grade_s, city, province, school, channel,
           ts(reg, reg_sec), status, vip, ts(last[0], last[1]))
    return row, until


def n_teachers(d):
    return BASE_TEACHERS + max(0, days_since(d, EPOCH)) // 20


class Teacher:
    __slots__ = ("tid", "name", "gender", "subject", "level", "city", "hire", "leave", "rate_cents", "hire_sec")

    def __init__(self, tid):
        r = rng(2, tid)
        self.tid = tid
        if tid <= BASE_TEACHERS:
            self.hire = dt.date(2018, 3, 1) + dt.timedelta(days=below(r, 1700))
        else:
            self.hire = EPOCH + dt.timedelta(days=(tid - BASE_TEACHERS - 1) * 20)
            r.random()
        self.hire_sec = between(r, 9 * 3600, 18 * 3600)
        self.name = person_name(r)
        self.gender = "F" if r.random() < 0.62 else "M"
        self.subject = W_SUBJECT(r)
        self.level = between(r, 0, 2)
        self.city = W_CITY(r)
        self.leave = self.hire + dt.timedelta(days=between(r, 200, 2000)) if r.random() < 0.12 else None
        self.rate_cents = (between(r, 12, 25) * 1000) + below(r, 10) * 100

    def row(self, d):
        years = days_since(d, self.hire) // 365
        level = min(3, self.level + years // 2)
        rate = self.rate_cents + level * 6000
        status = "active"
        last = (self.hire, self.hire_sec)
        promotions = min(years // 2, 3 - self.level)
        if promotions > 0:
            last = (self.hire + dt.timedelta(days=promotions * 2 * 365), self.hire_sec)
        if self.leave is not None and self.leave <= d:
            status = "left"
            last = (self.leave, self.hire_sec)
        elif (days_since(d, self.hire) // 7) % 53 == self.tid % 53 and self.tid % 5 == 0:
            status = "on_leave"  # a week off now and then
        return (self.tid, self.name, self.gender, self.subject, LEVELS[level], self.city,
                ymd(self.hire), money(rate), status, ts(last[0], last[1]))


def n_courses(d):
    return BASE_COURSES + max(0, days_since(d, EPOCH)) // 30


class Course:
    __slots__ = ("cid", "name", "subject", "band", "ctype", "price", "lessons", "minutes",
                 "launch", "off", "per_week")

    def __init__(self, cid):
        r = rng(3, cid)
        self.cid = cid
        if cid <= BASE_COURSES:
            self.launch = dt.date(2021, 1, 1) + dt.timedelta(days=below(r, 600))
        else:
            self.launch = EPOCH + dt.timedelta(days=(cid - BASE_COURSES - 1) * 30)
            r.random()
        self.subject = W_SUBJECT(r)
        self.band = pick(r, BANDS)
        self.ctype = W_COURSE_TYPE(r)
        if self.ctype == "live_small":
            base, self.lessons, self.minutes = between(r, 30, 60) * 100, pick(r, [12, 16, 24, 32]), pick(r, [60, 90])
        elif self.ctype == "live_large":
            base, self.lessons, self.minutes = between(r, 5, 20) * 100, pick(r, [8, 12, 16, 24]), pick(r, [60, 90, 120])
        elif self.ctype == "camp":
            base, self.lessons, self.minutes = between(r, 15, 40) * 100, pick(r, [5, 7, 10]), pick(r, [90, 120])
        else:
            base, self.lessons, self.minutes = between(r, 1, 6) * 100, pick(r, [10, 20, 30, 40]), pick(r, [20, 30, 45])
        self.price = base * 100 - pick(r, [0, 0, 100, 1000, 10])  # 2999.00, 2990.00, 2999.90 ...
        self.per_week = 5 if self.ctype == "camp" else pick(r, [1, 2, 2, 3, 3])
        self.off = self.launch + dt.timedelta(days=between(r, 300, 1200)) if r.random() < 0.25 else None
        term = pick(r, ["Spring", "Summer", "Autumn", "Winter", "Foundation", "Advanced", "Olympiad", "Sprint"])
        self.name = "%s %s %s L%d" % (self.subject.capitalize(), self.band.replace("_", "-").title(),
                                     term, between(r, 1, 6))

    def on_sale(self, d):
        return self.launch <= d and (self.off is None or d < self.off)

    def row(self, d):
        status = "on_sale" if self.on_sale(d) else ("off_shelf" if self.launch <= d else "coming")
        upd = self.off if self.off is not None and self.off <= d else self.launch
        return (self.cid, self.name, self.subject, self.band, self.ctype, money(self.price),
                self.lessons, self.minutes, ymd(self.launch), status, ts(upd, 10 * 3600))


class World:
    """Entities that exist on one day, built lazily and cached."""

    def __init__(self):
        self.teachers = {}
        self.courses = {}
        self.sale_lists = {}
        self.teacher_lists = {}
        self.until = [None]  # by student id: the first day the student no longer studies

    def teacher(self, tid):
        t = self.teachers.get(tid)
        if t is None:
            t = self.teachers[tid] = Teacher(tid)
        return t

    def course(self, cid):
        c = self.courses.get(cid)
        if c is None:
            c = self.courses[cid] = Course(cid)
        return c

    def on_sale(self, d):
        """Courses on sale on d, by id."""
        lst = self.sale_lists.get(d)
        if lst is None:
            lst = [self.course(i) for i in range(1, n_courses(d) + 1)]
            lst = self.sale_lists[d] = [c for c in lst if c.on_sale(d)]
        return lst

    def teachers_of(self, subject, d):
        """Active teachers of a subject who were hired by d."""
        key = (subject, d)
        lst = self.teacher_lists.get(key)
        if lst is None:
            lst = [self.teacher(i) for i in range(1, n_teachers(d) + 1)]
            lst = [t for t in lst if t.subject == subject and t.hire <= d and (t.leave is None or t.leave > d)]
            self.teacher_lists[key] = lst
        return lst


class Class:
    __slots__ = ("k", "course", "teacher", "assistant", "start", "end", "weekdays", "clock",
                 "size", "capacity", "member_seed", "pool")

    def __init__(self, k, world):
        r = rng(4, k)
        self.k = k
        self.start = CLASS_EPOCH + dt.timedelta(days=k // CLASSES_PER_DAY)
        chosen = self.start - dt.timedelta(days=30)
        courses = [c for c in world.on_sale(chosen) if c.ctype != "recorded"]
        # Large live classes are fewer but much bigger.
        self.course = pick(r, courses)
        c = self.course
        tlist = world.teachers_of(c.subject, chosen) or world.teachers_of("math", chosen)
        self.teacher = pick(r, tlist)
        self.assistant = None
        if c.ctype != "live_small":
            self.assistant = pick(r, tlist).tid
        if c.ctype == "camp":
            days = [1, 2, 3, 4, 5]
        else:
            free = [1, 2, 3, 4, 5, 6, 7]
            days = sorted(free.pop(below(r, len(free))) for _ in range(c.per_week))
        self.weekdays = days
        weeks = (c.lessons + len(days) - 1) // len(days)
        self.end = self.start + dt.timedelta(days=weeks * 7 - 1)
        self.clock = pick(r, CLOCKS)
        if c.ctype == "live_small":
            self.capacity = pick(r, [6, 8, 12])
            self.size = between(r, self.capacity // 2, self.capacity)
        elif c.ctype == "live_large":
            self.capacity = pick(r, [500, 800, 1000])
            self.size = between(r, 240, self.capacity)
        else:
            self.capacity = pick(r, [40, 60])
            self.size = between(r, 20, self.capacity)
        self.member_seed = between(r, 1, 1 << 30)
        self.pool = n_students(self.start - dt.timedelta(days=15))

    def name(self):
        return "%s #%d" % (self.course.name, self.k % 1000)

    def members(self, until):
        """The students of the class: ones who still studied when it started."""
        r = rng(5, self.member_seed)
        seen = set()
        out = []
        for _ in range(self.size * 20):
            if len(out) == self.size:
                break
            sid = below(r, self.pool) + 1
            if sid not in seen:
                seen.add(sid)
                if until[sid] > self.start:
                    out.append(sid)
        return out

    def lesson_no(self, d):
        """The number of d's lesson in this class, or 0 if none is held on d."""
        if d < self.start or d > self.end or d.isoweekday() not in self.weekdays:
            return 0
        days = days_since(d, self.start)
        weeks, rest = divmod(days, 7)
        n = weeks * len(self.weekdays)
        for i in range(rest + 1):
            if (self.start + dt.timedelta(days=i)).isoweekday() in self.weekdays:
                n += 1
        return n if n <= self.course.lessons else 0

    def row(self, d):
        if d < self.start:
            status = "upcoming"
        elif d <= self.end:
            status = "ongoing"
        else:
            status = "finished"
        return (self.k + 100000, self.name(), self.course.cid, self.teacher.tid, self.assistant,
                self.capacity, self.size, ymd(self.start), ymd(self.end),
                ",".join(str(x) for x in self.weekdays),
                "%02d:%02d:00" % (self.clock // 60, self.clock % 60), status)


def classes_on(d, world):
    """Classes in the snapshot of d: upcoming within 7 days, ongoing, or finished within 14."""
    first = max(0, days_since(d - dt.timedelta(days=200), CLASS_EPOCH)) * CLASSES_PER_DAY
    last = (days_since(d + dt.timedelta(days=7), CLASS_EPOCH) + 1) * CLASSES_PER_DAY
    out = []
    limit = d - dt.timedelta(days=14)
    for k in range(first, last):
        c = Class(k, world)
        if c.end >= limit:
            out.append(c)
    return out


# ---------------------------------------------------------------- events


def order_count(d):
    r = rng(6, dnum(d))
    n = 9200 + below(r, 1600)
    if d.isoweekday() >= 6:
        n = n * 5 // 4
    if d.day <= 3:  # start-of-month promotion
        n = n * 11 // 10
    return n


_HOUR_CUM = []
_acc = 0
for _w in HOUR_WEIGHTS:
    _acc += _w
    _HOUR_CUM.append(_acc)


def second_at(q):
    """The second of the day at quantile q of the daily order curve."""
    x = q * _acc
    h = bisect.bisect_right(_HOUR_CUM, x)
    if h >= 24:
        return 86399
    lo = _HOUR_CUM[h - 1] if h else 0
    return min(86399, h * 3600 + int((x - lo) / HOUR_WEIGHTS[h] * 3600))


class Order:
    __slots__ = ("oid", "d", "sid", "course", "channel", "coupon", "discount", "paid", "method",
                 "status", "created", "paid_at", "updated", "test")

    def __init__(self, d, seq, count, world):
        r = rng(7, dnum(d), seq)
        self.oid = dnum(d) * 100000 + seq + 1
        self.d = d
        self.created = second_at((seq + r.random()) / count)
        n = n_students(d)
        if r.random() < 0.04 and n > BASE_STUDENTS + 7 * STUDENTS_PER_DAY:
            self.sid = n - below(r, 7 * STUDENTS_PER_DAY)  # registered this week
        else:
            for _ in range(10):  # buyers are students who still study
                self.sid = below(r, n) + 1
                if world.until[self.sid] > d:
                    break
        self.course = pick(r, world.on_sale(d))
        self.channel = W_ORDER_CHANNEL(r)
        self.test = r.random() < 0.002
        price = self.course.price
        self.coupon = None
        self.discount = 0
        if r.random() < 0.38:
            code, off, pct = pick(r, COUPONS)
            self.coupon = code
            self.discount = off if off else price * pct // 100
            self.discount = min(self.discount, price - 100)
        self.paid = price - self.discount
        if self.test:
            self.channel = "internal_test"
            self.paid = 1
            self.discount = price - 1
        u = r.random()
        self.status = "paid" if u < 0.83 else ("unpaid" if u < 0.92 else "cancelled")
        self.method = W_PAY(r)
        self.paid_at = None
        if self.status == "paid":
            self.paid_at = min(86399, self.created + between(r, 5, 1800))
            self.updated = self.paid_at
        elif self.status == "cancelled":
            self.method = None
            self.updated = min(86399, self.created + between(r, 60, 7200))
        else:
            self.method = None
            self.updated = self.created

    def row(self, class_id):
        d = self.d
        return (self.oid, self.sid, self.course.cid, class_id, self.channel, self.coupon,
                money(self.course.price), money(self.discount), money(self.paid), self.method,
                self.status, ts(d, self.created),
                ts(d, self.paid_at) if self.paid_at is not None else None, ts(d, self.updated))

    def first_version(self, class_id):
        """The row a change-data capture saw before the payment: same order, still unpaid."""
        d = self.d
        return (self.oid, self.sid, self.course.cid, class_id, self.channel, self.coupon,
                money(self.course.price), money(self.discount), money(self.paid), None,
                "unpaid", ts(d, self.created), None, ts(d, self.created))


# ---------------------------------------------------------------- tables

COLUMNS = {
    "students": ["student_id", "student_name", "gender", "birth_date", "grade", "city", "province",
                 "school", "channel", "register_time", "status", "vip_level", "updated_at"],
    "teachers": ["teacher_id", "teacher_name", "gender", "subject", "level", "city", "hire_date",
                 "hourly_rate", "status", "updated_at"],
    "courses": ["course_id", "course_name", "subject", "grade_band", "course_type", "list_price",
                "lesson_count", "lesson_minutes", "launch_date", "status", "updated_at"],
    "classes": ["class_id", "class_name", "course_id", "teacher_id", "assistant_id", "capacity",
                "enrolled", "start_date", "end_date", "weekdays", "start_clock", "status"],
    "lessons": ["lesson_id", "class_id", "teacher_id", "lesson_no", "scheduled_start",
                "scheduled_end", "actual_start", "actual_end", "status", "cancel_reason"],
    "attendance": ["attendance_id", "lesson_id", "student_id", "join_time", "leave_time",
                   "duration_seconds", "status", "device", "rating"],
    "orders": ["order_id", "student_id", "course_id", "class_id", "channel", "coupon_code",
               "list_price", "discount_amount", "paid_amount", "pay_method", "status",
               "created_at", "paid_at", "updated_at"],
    "refunds": ["refund_id", "order_id", "student_id", "course_id", "refund_amount", "reason",
                "status", "applied_at", "processed_at"],
}


def generate(d):
    world = World()
    tables = {}

    students = []
    for sid in range(1, n_students(d) + 1):
        row, until = student_row(sid, d)
        students.append(row)
        world.until.append(until)
    tables["students"] = students
    teachers = [world.teacher(t) for t in range(1, n_teachers(d) + 1)]
    tables["teachers"] = [t.row(d) for t in teachers]
    tables["courses"] = [world.course(c).row(d) for c in range(1, n_courses(d) + 1)]
    classes = classes_on(d, world)
    tables["classes"] = [c.row(d) for c in classes]

    # Lessons and attendance.
    lessons, attendance = [], []
    dn = dnum(d)
    for c in classes:
        no = c.lesson_no(d)
        if no == 0:
            continue
        r = rng(8, dn, c.k)
        lesson_id = dn * 10000 + len(lessons) + 1
        start = c.clock * 60
        minutes = c.course.minutes
        teacher = c.teacher
        if (teacher.leave is not None and teacher.leave <= d) or r.random() < 0.03:
            subs = world.teachers_of(c.course.subject, d)
            if subs:
                teacher = pick(r, subs)
        if r.random() < 0.02:
            lessons.append((lesson_id, c.k + 100000, teacher.tid, no, ts(d, start),
                            ts(d, start + minutes * 60), None, None, "cancelled",
                            pick(r, ["teacher_sick", "platform_outage", "holiday_adjustment"])))
            continue
        a_start = start + between(r, -120, 480)
        a_end = a_start + minutes * 60 + between(r, -60, 900)
        lessons.append((lesson_id, c.k + 100000, teacher.tid, no, ts(d, start),
                        ts(d, start + minutes * 60), ts(d, a_start), ts(d, a_end), "finished", None))
        small = c.course.ctype == "live_small"
        p_absent = 0.04 if small else 0.10
        p_late = p_absent + 0.08
        p_early = p_late + 0.06
        for sid in c.members(world.until):
            aid = dn * 1000000 + len(attendance) + 1
            u = r.random()
            if u < p_absent:
                attendance.append((aid, lesson_id, sid, None, None, 0, "absent", None, None))
                r.random()
                continue
            join = a_start - between(r, 0, 300)
            leave = a_end + between(r, 0, 120)
            status = "present"
            if u < p_late:
                status = "late"
                join = a_start + between(r, 180, 1500)
            elif u < p_early:
                status = "early_leave"
                leave = a_end - between(r, 600, minutes * 30)
            else:
                r.random()
            device = W_DEVICE(r)
            rating = None
            if r.random() < 0.18:
                rating = W_RATING(r)
            attendance.append((aid, lesson_id, sid, ts(d, join), ts(d, leave),
                               max(0, leave - join), status, device, rating))
    tables["lessons"] = lessons
    tables["attendance"] = attendance

    # Orders: ids and times rise together through the day.
    by_course = {}
    for c in classes:
        if c.start >= d - dt.timedelta(days=7):  # still open for enrolment
            by_course.setdefault(c.course.cid, []).append(c.k + 100000)
    count = order_count(d)
    orders = []
    r = rng(9, dn)
    for seq in range(count):
        o = Order(d, seq, count, world)
        options = by_course.get(o.course.cid)
        class_id = pick(r, options) if options and o.course.ctype != "recorded" else None
        if o.status == "paid" and r.random() < 0.004:
            orders.append(o.first_version(class_id))  # a duplicate from change capture
        orders.append(o.row(class_id))
    tables["orders"] = orders

    # Refunds: mostly of orders from earlier days, a few from today.
    r = rng(10, dn)
    n_refunds = 420 + below(r, 160)
    refunds, used = [], set()
    counts = {}
    attempts = 0
    while len(refunds) < n_refunds and attempts < n_refunds * 20:
        attempts += 1
        u = r.random()
        back = 0 if u < 0.06 else (between(r, 1, 7) if u < 0.6 else between(r, 8, 30))
        od = d - dt.timedelta(days=back)
        if od not in counts:
            counts[od] = order_count(od)
        seq = below(r, counts[od])
        o = Order(od, seq, counts[od], world)
        if o.status != "paid" or o.test or o.oid in used:
            continue
        applied = between(r, 8 * 3600, 23 * 3600)
        if back == 0:
            applied = o.paid_at + between(r, 600, 6 * 3600)
            if applied > 86399:
                continue
        used.add(o.oid)
        amount = o.paid if r.random() < 0.7 else max(100, (o.paid * between(r, 2, 8) // 10) // 1000 * 1000)
        status = W_REFUND_STATUS(r)
        processed = None
        if status != "pending":
            processed = ts(d, min(86399, applied + between(r, 300, 4 * 3600)))
        refunds.append((dn * 10000 + len(refunds) + 1, o.oid, o.sid, o.course.cid, money(amount),
                        W_REASON(r), status, ts(d, applied), processed))
    tables["refunds"] = refunds
    return tables


# ---------------------------------------------------------------- output


def write_atomic(path, write):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    bizdate = os.environ.get("KILN_BIZDATE", "")
    source_dir = os.environ.get("KILN_SOURCE_DIR", "")
    if not bizdate or not source_dir:
        sys.exit("gen_source: KILN_BIZDATE and KILN_SOURCE_DIR must be set")
    try:
        d = dt.date.fromisoformat(bizdate)
    except ValueError:
        sys.exit("gen_source: KILN_BIZDATE %r is not YYYY-MM-DD" % bizdate)
    out = os.path.join(source_dir, "dt=" + d.isoformat())
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):  # leftovers of a killed run
        if name.startswith(".") and name.endswith(".tmp"):
            os.remove(os.path.join(out, name))

    began = time.perf_counter()
    tables = generate(d)
    manifest = {"bizdate": d.isoformat(), "tables": {}}
    for name in sorted(tables):
        rows = tables[name]
        path = os.path.join(out, name + ".csv")

        def write(f, rows=rows, name=name):
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS[name])
            w.writerows(rows)

        write_atomic(path, write)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        manifest["tables"][name] = {"rows": len(rows), "bytes": os.path.getsize(path), "sha256": digest}
        print("%-10s %7d rows %10d bytes" % (name, len(rows), os.path.getsize(path)))
    write_atomic(os.path.join(out, "_manifest.json"),
                 lambda f: f.write(json.dumps(manifest, indent=2, sort_keys=True) + "\n"))
    total = sum(len(v) for v in tables.values())
    print("gen_source: %d rows for %s into %s in %.2fs" % (total, d.isoformat(), out, time.perf_counter() - began))


if __name__ == "__main__":
    main()
